import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { ProviderParseError, ProviderUnavailableError } from '../../errors';
import { httpError } from '../http';
import { describe, networkMessage } from './client';

/** One sample of a scraped /metrics page. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The exporter's own timestamp, when it wrote one. */
  timestampMs?: number;
}

export interface ParsedExposition {
  samples: ExpositionSample[];
  /** Samples whose value was NaN or ±Inf, left out. */
  nonFinite: number;
  /** Histogram/summary families, which carry no single value (dcgm-exporter has none). */
  skippedFamilies: string[];
}

/**
 * Parses the Prometheus text exposition format (0.0.4, and the OpenMetrics text it is a
 * subset of) with parse-prometheus-text-format. Values arrive as text ("87", "NaN",
 * "+Inf"); only finite ones are kept and the rest are counted, so a caller can say so.
 */
export function parseExposition(text: string): ParsedExposition {
  const out: ParsedExposition = { samples: [], nonFinite: 0, skippedFamilies: [] };
  // The format ends every line with \n; the parser silently drops a last line without one.
  for (const family of parsePrometheusTextFormat(text.endsWith('\n') ? text : `${text}\n`)) {
    if (family.type === 'HISTOGRAM' || family.type === 'SUMMARY') {
      out.skippedFamilies.push(family.name);
      continue;
    }
    for (const m of family.metrics) {
      if (m.value === undefined) continue;
      const value = Number(m.value);
      if (!Number.isFinite(value)) {
        out.nonFinite++;
        continue;
      }
      const ts = m.timestamp_ms === undefined ? undefined : Number(m.timestamp_ms);
      out.samples.push({
        name: family.name,
        labels: { ...(m.labels ?? {}) },
        value,
        ...(ts !== undefined && Number.isFinite(ts) ? { timestampMs: ts } : {}),
      });
    }
  }
  return out;
}

/**
 * GETs an exporter's /metrics page. Failures map to the provider error classes (network
 * and 5xx retryable, 401/403 auth, other 4xx final); an HTML page or an empty answer is a
 * parse error rather than "no GPUs".
 */
export async function scrapeMetrics(
  provider: string,
  url: string,
  opts: { headers: Readonly<Record<string, string>>; timeoutMs: number; signal: AbortSignal },
): Promise<ParsedExposition> {
  const where = describe(url);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1', ...opts.headers },
      signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
    });
  } catch (err) {
    if (opts.signal.aborted) throw err;
    throw new ProviderUnavailableError(provider, `${where}: ${networkMessage(err)}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw httpError(provider, where, res, text);
  const type = res.headers.get('content-type') ?? '';
  if (/text\/html|application\/json/i.test(type)) {
    throw new ProviderParseError(
      provider,
      `${where}: answered ${type.split(';')[0]}, not the Prometheus text format`,
    );
  }
  let parsed: ParsedExposition;
  try {
    parsed = parseExposition(text);
  } catch (err) {
    throw new ProviderParseError(
      provider,
      `${where}: not the Prometheus text format: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const dataLines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).length;
  if (
    dataLines > 0 &&
    parsed.samples.length === 0 &&
    parsed.nonFinite === 0 &&
    parsed.skippedFamilies.length === 0
  ) {
    throw new ProviderParseError(provider, `${where}: no samples could be read from the answer`);
  }
  return parsed;
}
