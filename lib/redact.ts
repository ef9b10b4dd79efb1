/**
 * Removes secrets from text bound for logs, run records and API responses: every known
 * secret value, and anything that looks like a credential in a header or query string.
 */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set([...secrets].filter((s) => typeof s === 'string' && s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  return (text: string) => {
    let out = text;
    for (const v of values) out = out.split(v).join('***');
    return redactPatterns(out);
  };
}

const PATTERNS: [RegExp, string][] = [
  [/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***'],
  [
    /\b(api[_-]?key|apikey|password|passwd|secret|token|access[_-]?key|client[_-]?secret)(["']?\s*[=:]\s*["']?)[^\s&"',}]+/gi,
    '$1$2***',
  ],
  [/\bAKIA[0-9A-Z]{16}\b/g, 'AKIA***'],
  [/\boik_[a-f0-9]{16}_[A-Za-z0-9_-]{20,}/g, 'oik_***'],
  [/\bgsk_[A-Za-z0-9]{20,}/g, 'gsk_***'],
  [/(https?:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1***:***@'],
];

export function redactPatterns(text: string): string {
  let out = text;
  for (const [re, repl] of PATTERNS) out = out.replace(re, repl);
  return out;
}
