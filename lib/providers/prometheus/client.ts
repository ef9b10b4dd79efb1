import { z } from 'zod';
import {
  ProviderConfigError,
  ProviderError,
  ProviderParseError,
  ProviderUnavailableError,
} from '../../errors';
import { httpError } from '../http';
import type { HttpAuth } from './config';
import { formatDuration } from './duration';

/** Where and how to reach one Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics). */
export interface PrometheusEndpoint {
  /** Provider id, for error classes and messages. */
  provider: string;
  /** Base URL before /api/v1. */
  url: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/** One series of an answer: its labels and its finite samples, oldest first. */
export interface PromSeries {
  labels: Record<string, string>;
  samples: [tsMs: number, value: number][];
}

export interface PromAnswer {
  series: PromSeries[];
  /** Prometheus's own warnings (e.g. a Thanos store that did not answer): the data may be incomplete. */
  warnings: string[];
  infos: string[];
  /** NaN/±Inf samples left out (PromQL yields them for 0/0 and friends). */
  nonFinite: number;
  /** Series that carried only native histograms, which have no single value to store. */
  histogramSeries: number;
}

/**
 * Prometheus refused or could not run a query (HTTP 400 bad_data, 422 execution, or a
 * `status: "error"` body). Not worth retrying: the query itself is the problem.
 */
export class PrometheusQueryError extends ProviderError {
  readonly errorType: string;
  readonly status: number;
  constructor(provider: string, status: number, errorType: string, message: string, options?: ErrorOptions) {
    super(provider, 'query_rejected', message, false, options);
    this.name = 'PrometheusQueryError';
    this.errorType = errorType;
    this.status = status;
  }
}

/** Request headers for a connection's auth block, from its named secrets. */
export function authHeaders(
  provider: string,
  auth: HttpAuth,
  secrets: Readonly<Record<string, string>>,
  where: string,
): Record<string, string> {
  const secret = (name: string, field: string) => {
    const v = secrets[name];
    if (v === undefined || v === '') {
      throw new ProviderConfigError(
        provider,
        `${where}.auth.${field} names secret "${name}", which the connection does not have (list it under secrets, as env:VARIABLE)`,
      );
    }
    return v;
  };
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `Bearer ${secret(auth.token_secret, 'token_secret')}` };
    case 'basic': {
      const password = secret(auth.password_secret, 'password_secret');
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}` };
    }
  }
}

const SampleSchema = z.tuple([z.number(), z.string()]);
const LabelsSchema = z.record(z.string(), z.string());
const MatrixSchema = z.array(
  z.object({
    metric: LabelsSchema,
    values: z.array(SampleSchema).optional(),
    histograms: z.array(z.unknown()).optional(),
  }),
);
const VectorSchema = z.array(
  z.object({ metric: LabelsSchema, value: SampleSchema.optional(), histogram: z.unknown().optional() }),
);
const BodySchema = z.object({
  status: z.enum(['success', 'error']),
  data: z
    .object({ resultType: z.enum(['matrix', 'vector', 'scalar', 'string']), result: z.unknown() })
    .optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  infos: z.array(z.string()).optional(),
});

/**
 * `GET|POST /api/v1/query_range`: the query evaluated at every `step` from `start` to
 * `end` (inclusive, seconds). Long queries go as a POST form, as the HTTP API allows.
 */
export function queryRange(
  ep: PrometheusEndpoint,
  q: { query: string; startMs: number; endMs: number; stepMs: number },
  signal: AbortSignal,
): Promise<PromAnswer> {
  return request(
    ep,
    '/api/v1/query_range',
    {
      query: q.query,
      start: seconds(q.startMs),
      end: seconds(q.endMs),
      step: formatDuration(q.stepMs),
      timeout: formatDuration(ep.timeoutMs),
    },
    signal,
  );
}

/** `GET|POST /api/v1/query`: the query evaluated at one instant. */
export function queryInstant(
  ep: PrometheusEndpoint,
  q: { query: string; timeMs?: number },
  signal: AbortSignal,
): Promise<PromAnswer> {
  return request(
    ep,
    '/api/v1/query',
    {
      query: q.query,
      ...(q.timeMs !== undefined ? { time: seconds(q.timeMs) } : {}),
      timeout: formatDuration(ep.timeoutMs),
    },
    signal,
  );
}

const MAX_GET_URL = 4000;

async function request(
  ep: PrometheusEndpoint,
  path: string,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<PromAnswer> {
  const form = new URLSearchParams(params).toString();
  const base = `${ep.url.replace(/\/+$/, '')}${path}`;
  const get = `${base}?${form}`.length <= MAX_GET_URL;
  const where = describe(base);
  // The server gives up at `timeout` and says so (503 timeout); we wait a little longer to hear it.
  const timeout = AbortSignal.timeout(ep.timeoutMs + 2000);
  let res: Response;
  try {
    res = await fetch(get ? `${base}?${form}` : base, {
      method: get ? 'GET' : 'POST',
      headers: {
        accept: 'application/json',
        ...ep.headers,
        ...(get ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(get ? {} : { body: form }),
      signal: AbortSignal.any([signal, timeout]),
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ProviderUnavailableError(ep.provider, `${where}: ${networkMessage(err)}`, { cause: err });
  }
  const text = await res.text();
  let body: z.infer<typeof BodySchema> | undefined;
  try {
    const parsed = BodySchema.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    // not JSON: judged by status below
  }
  if (body?.status === 'error' || (!res.ok && body)) {
    const errorType = body.errorType ?? 'unknown';
    const message = `${where}: Prometheus ${errorType} error (HTTP ${res.status}): ${body.error ?? 'no message'}`;
    // 503 means timeout/canceled/unavailable on the server side: transient.
    if (res.status === 503 || ['timeout', 'canceled', 'unavailable'].includes(errorType)) {
      throw new ProviderUnavailableError(ep.provider, message);
    }
    if (res.status === 401 || res.status === 403 || res.status === 429 || res.status >= 500) {
      throw httpError(ep.provider, where, res, text);
    }
    throw new PrometheusQueryError(ep.provider, res.status, errorType, message);
  }
  if (!res.ok) throw httpError(ep.provider, where, res, text);
  if (!body?.data) {
    throw new ProviderParseError(
      ep.provider,
      `${where}: not a Prometheus API answer (expected {"status":"success","data":…})`,
    );
  }
  return toAnswer(ep.provider, where, body.data, body.warnings ?? [], body.infos ?? []);
}

function toAnswer(
  provider: string,
  where: string,
  data: { resultType: string; result: unknown },
  warnings: string[],
  infos: string[],
): PromAnswer {
  const answer: PromAnswer = { series: [], warnings, infos, nonFinite: 0, histogramSeries: 0 };
  const push = (labels: Record<string, string>, raw: readonly (readonly [number, string])[]) => {
    const samples: [number, number][] = [];
    for (const [t, v] of raw) {
      const value = Number(v);
      if (!Number.isFinite(value)) {
        answer.nonFinite++;
        continue;
      }
      samples.push([Math.round(t * 1000), value]);
    }
    if (samples.length > 0) answer.series.push({ labels, samples });
  };
  const fail = (issue: string) =>
    new ProviderParseError(provider, `${where}: malformed ${data.resultType} result: ${issue}`);
  if (data.resultType === 'matrix') {
    const parsed = MatrixSchema.safeParse(data.result);
    if (!parsed.success) throw fail(firstIssue(parsed.error));
    for (const s of parsed.data) {
      if (!s.values && s.histograms) answer.histogramSeries++;
      push(s.metric, s.values ?? []);
    }
  } else if (data.resultType === 'vector') {
    const parsed = VectorSchema.safeParse(data.result);
    if (!parsed.success) throw fail(firstIssue(parsed.error));
    for (const s of parsed.data) {
      if (!s.value && s.histogram !== undefined) answer.histogramSeries++;
      push(s.metric, s.value ? [s.value] : []);
    }
  } else if (data.resultType === 'scalar') {
    const parsed = SampleSchema.safeParse(data.result);
    if (!parsed.success) throw fail(firstIssue(parsed.error));
    push({}, [parsed.data]);
  } else {
    throw new ProviderParseError(provider, `${where}: the query returned a string, not numbers`);
  }
  return answer;
}

function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  return `${i?.path.join('.') || '(result)'}: ${i?.message}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3).replace(/\.?0+$/, '');
}

export function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'request';
  }
}

export function networkMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'request timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'network error';
}
