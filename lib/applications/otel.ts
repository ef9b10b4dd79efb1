/**
 * OpenTelemetry GenAI semantic conventions → our sample fields, so that an instrumented
 * app forwards what its spans already record. Accepted shapes for one item:
 *
 * - a span: `{ attributes, resource?, start_time_unix_nano?, end_time_unix_nano?, trace_id?, span_id? }`
 *   where `attributes` is a plain object or the OTLP/JSON KeyValue list
 *   (`[{ key, value: { stringValue | intValue | doubleValue | boolValue | arrayValue } }]`);
 * - flat: the attribute names as the item's own keys (`"gen_ai.request.model": "…"`).
 *
 * Attributes read (semconv 1.37 names first, then the older ones still emitted widely):
 * request id `gen_ai.response.id` (else trace/span id); model `gen_ai.response.model` /
 * `gen_ai.request.model`; prompt `gen_ai.input.messages` (+ `gen_ai.system_instructions`),
 * else `gen_ai.prompt` or indexed `gen_ai.prompt.N.role/content`; response
 * `gen_ai.output.messages`, else `gen_ai.completion` or `gen_ai.completion.N.content`;
 * tokens `gen_ai.usage.input_tokens`/`output_tokens` (or `prompt_tokens`/`completion_tokens`);
 * application `optiinfra.application`, else resource `service.name`; provider
 * `optiinfra.provider`, else `cloud.provider`, else the cloud behind `gen_ai.provider.name`
 * / `gen_ai.system` (aws.bedrock → aws, gcp.* → gcp, azure.* → azure); context and
 * reference `optiinfra.context` / `optiinfra.reference`; time and latency from the span's
 * start and end. Anything else is ignored: spans carry many attributes we do not need.
 */

export type Attributes = Record<string, unknown>;

/** The native field set, as an ingest item would carry it. */
export interface NativeFields {
  request_id?: unknown;
  application?: unknown;
  provider?: unknown;
  model?: unknown;
  prompt?: unknown;
  response?: unknown;
  context?: unknown;
  reference?: unknown;
  latency_ms?: unknown;
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  timestamp?: unknown;
}

const SPAN_KEYS = new Set([
  'attributes',
  'resource',
  'start_time_unix_nano',
  'end_time_unix_nano',
  'start_time',
  'end_time',
  'trace_id',
  'span_id',
  'name',
]);

/** True when an item uses the OpenTelemetry field set rather than ours. */
export function isOtelItem(item: Record<string, unknown>): boolean {
  if ('attributes' in item) return true;
  return Object.keys(item).some((k) => k.startsWith('gen_ai.'));
}

/** OTLP/JSON AnyValue → a plain value. */
function anyValue(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return o.stringValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('boolValue' in o) return o.boolValue;
  if ('arrayValue' in o) return ((o.arrayValue as { values?: unknown[] })?.values ?? []).map(anyValue);
  if ('kvlistValue' in o) return keyValues((o.kvlistValue as { values?: unknown[] })?.values ?? []);
  return v;
}

function keyValues(list: unknown[]): Attributes {
  const out: Attributes = {};
  for (const kv of list) {
    if (kv && typeof kv === 'object' && typeof (kv as { key?: unknown }).key === 'string') {
      out[(kv as { key: string }).key] = anyValue((kv as { value?: unknown }).value);
    }
  }
  return out;
}

function toAttributes(v: unknown): Attributes {
  if (Array.isArray(v)) return keyValues(v);
  if (v && typeof v === 'object') {
    const o = v as Attributes;
    // An OTLP resource: { attributes: [...] }
    if (Array.isArray(o.attributes)) return keyValues(o.attributes);
    return o;
  }
  return {};
}

/** JSON-encoded attribute values (span attributes must be primitives) are decoded. */
function decoded(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('[') || t.startsWith('{'))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/** Text of a message in any of the shapes seen: parts (1.37), content string, content list. */
function messageText(m: unknown): string {
  if (typeof m === 'string') return m;
  if (!m || typeof m !== 'object') return '';
  const o = m as { parts?: unknown; content?: unknown; text?: unknown };
  const parts = Array.isArray(o.parts) ? o.parts : Array.isArray(o.content) ? o.content : null;
  if (parts) {
    return parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const q = p as { type?: string; content?: unknown; text?: unknown };
        if (q.type && q.type !== 'text') return '';
        return typeof q.content === 'string' ? q.content : typeof q.text === 'string' ? q.text : '';
      })
      .filter(Boolean)
      .join('\n');
  }
  if (typeof o.content === 'string') return o.content;
  if (typeof o.text === 'string') return o.text;
  return '';
}

function roleOf(m: unknown): string {
  return m && typeof m === 'object' && typeof (m as { role?: unknown }).role === 'string'
    ? (m as { role: string }).role
    : '';
}

/** A conversation as the judge reads it: a lone user message as is, else "role: text" turns. */
function transcript(messages: unknown[], system: string): string {
  const turns = messages.map((m) => ({ role: roleOf(m), text: messageText(m) })).filter((t) => t.text !== '');
  if (system) turns.unshift({ role: 'system', text: system });
  if (turns.length === 1 && (turns[0]?.role === 'user' || turns[0]?.role === '')) return turns[0]?.text ?? '';
  return turns.map((t) => `${t.role || 'user'}: ${t.text}`).join('\n\n');
}

function indexed(attrs: Attributes, prefix: string): unknown[] {
  const byIndex = new Map<number, { role?: unknown; content?: unknown }>();
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.(role|content)$`);
  for (const [k, v] of Object.entries(attrs)) {
    const m = re.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    const entry = byIndex.get(i) ?? {};
    entry[m[2] as 'role' | 'content'] = v;
    byIndex.set(i, entry);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

function promptOf(attrs: Attributes): string | undefined {
  const system = decoded(attrs['gen_ai.system_instructions']);
  const systemText = Array.isArray(system)
    ? system.map(messageText).join('\n')
    : typeof system === 'string'
      ? system
      : '';
  const input = decoded(attrs['gen_ai.input.messages']);
  if (Array.isArray(input)) return transcript(input, systemText);
  const legacy = decoded(attrs['gen_ai.prompt']);
  if (Array.isArray(legacy)) return transcript(legacy, systemText);
  if (typeof legacy === 'string')
    return systemText ? transcript([{ role: 'user', content: legacy }], systemText) : legacy;
  const numbered = indexed(attrs, 'gen_ai.prompt');
  if (numbered.length > 0) return transcript(numbered, systemText);
  return undefined;
}

function responseOf(attrs: Attributes): string | undefined {
  const output = decoded(attrs['gen_ai.output.messages']);
  if (Array.isArray(output)) return output.map(messageText).filter(Boolean).join('\n\n');
  const legacy = decoded(attrs['gen_ai.completion']);
  if (Array.isArray(legacy)) return legacy.map(messageText).filter(Boolean).join('\n\n');
  if (typeof legacy === 'string') return legacy;
  const numbered = indexed(attrs, 'gen_ai.completion');
  if (numbered.length > 0) return numbered.map(messageText).filter(Boolean).join('\n\n');
  return undefined;
}

const CLOUD_PROVIDERS: Record<string, string> = { aws: 'aws', gcp: 'gcp', azure: 'azure' };

function providerOf(attrs: Attributes): unknown {
  if (attrs['optiinfra.provider'] !== undefined) return attrs['optiinfra.provider'];
  const cloud = attrs['cloud.provider'];
  if (typeof cloud === 'string' && CLOUD_PROVIDERS[cloud]) return CLOUD_PROVIDERS[cloud];
  const genai = attrs['gen_ai.provider.name'] ?? attrs['gen_ai.system'];
  if (typeof genai === 'string') {
    if (genai.startsWith('aws.')) return 'aws';
    if (genai.startsWith('gcp.')) return 'gcp';
    if (genai.startsWith('azure.')) return 'azure';
  }
  return undefined;
}

/** Nanoseconds since the epoch (string or number, as OTLP sends them) → epoch ms. */
function nanosToMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v / 1e6;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(BigInt(v) / 1000n) / 1000;
  return undefined;
}

function timeMs(nanos: unknown, iso: unknown): number | undefined {
  const n = nanosToMs(nanos);
  if (n !== undefined) return n;
  if (typeof iso === 'string' || typeof iso === 'number') {
    const t = new Date(iso).getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

const numeric = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);

/**
 * Maps one OpenTelemetry-shaped item to our field set. Missing fields stay undefined so
 * that validation reports them by their OpenTelemetry names (see OTEL_FIELD_NAMES).
 */
export function fromOtel(item: Record<string, unknown>): NativeFields {
  const attrs: Attributes = {
    ...toAttributes(item.resource),
    ...Object.fromEntries(Object.entries(item).filter(([k]) => !SPAN_KEYS.has(k))),
    ...toAttributes(item.attributes),
  };
  const start = timeMs(item.start_time_unix_nano, item.start_time);
  const end = timeMs(item.end_time_unix_nano, item.end_time);
  const traceId = typeof item.trace_id === 'string' ? item.trace_id : undefined;
  const spanId = typeof item.span_id === 'string' ? item.span_id : undefined;
  const requestId =
    attrs['gen_ai.response.id'] ?? (spanId ? (traceId ? `${traceId}:${spanId}` : spanId) : undefined);
  const latency =
    start !== undefined && end !== undefined ? Math.round((end - start) * 1000) / 1000 : undefined;
  const ts = start ?? end;
  return {
    request_id: requestId,
    application: attrs['optiinfra.application'] ?? attrs['service.name'],
    provider: providerOf(attrs),
    model: attrs['gen_ai.response.model'] ?? attrs['gen_ai.request.model'],
    prompt: promptOf(attrs),
    response: responseOf(attrs),
    context: decoded(attrs['optiinfra.context']),
    reference: attrs['optiinfra.reference'],
    latency_ms: latency,
    prompt_tokens: numeric(attrs['gen_ai.usage.input_tokens'] ?? attrs['gen_ai.usage.prompt_tokens']),
    completion_tokens: numeric(
      attrs['gen_ai.usage.output_tokens'] ?? attrs['gen_ai.usage.completion_tokens'],
    ),
    timestamp: ts === undefined ? undefined : new Date(ts).toISOString(),
  };
}

/** How validation names a field of an OpenTelemetry item, so errors point at what the app sent. */
export const OTEL_FIELD_NAMES: Record<keyof NativeFields, string> = {
  request_id: 'gen_ai.response.id (or span_id)',
  application: 'service.name (or optiinfra.application, or the batch "application")',
  provider: 'optiinfra.provider (or cloud.provider, or the batch "provider")',
  model: 'gen_ai.response.model (or gen_ai.request.model)',
  prompt: 'gen_ai.input.messages (or gen_ai.prompt)',
  response: 'gen_ai.output.messages (or gen_ai.completion)',
  context: 'optiinfra.context',
  reference: 'optiinfra.reference',
  latency_ms: 'start_time_unix_nano/end_time_unix_nano',
  prompt_tokens: 'gen_ai.usage.input_tokens',
  completion_tokens: 'gen_ai.usage.output_tokens',
  timestamp: 'start_time_unix_nano (or start_time)',
};
