import type { Dispatcher } from 'undici';
import { parseRetryAfter } from '../collector/retry';
import {
  ProviderAuthError,
  ProviderError,
  ProviderParseError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../errors';

export interface FetchJsonOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  /** JSON-serialised unless a string. */
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Headers besides Retry-After that carry a wait in seconds (e.g. Azure's QPU header). */
  retryAfterHeaders?: readonly string[];
  /** An undici dispatcher for this request: a unix socket (Docker) or a private CA (Kubernetes). */
  dispatcher?: Dispatcher;
  /**
   * Parses the body text instead of `JSON.parse`, e.g. `parseJsonLossless` to keep money
   * that arrives as JSON numbers as its wire text. Whatever it throws is a ProviderParseError.
   */
  parse?: (text: string) => unknown;
}

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/**
 * `fetch` for provider REST APIs that have no official SDK (or where plain HTTP is simpler),
 * with the failure classes the retry loop understands: 401/403 → ProviderAuthError,
 * 429 → ProviderRateLimitError (with the provider's Retry-After), 408/5xx and network
 * errors → ProviderUnavailableError, an unparseable body → ProviderParseError. Error
 * messages carry the status and the provider's own message, never request headers.
 *
 * @example
 * const { data } = await fetchJson<{ instances: Instance[] }>('vultr', `${base}/v2/instances`, {
 *   headers: { authorization: `Bearer ${key}` }, signal });
 */
export async function fetchJson<T = unknown>(
  provider: string,
  url: string,
  opts: FetchJsonOptions = {},
): Promise<JsonResponse<T>> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const where = describeUrl(url);
  let res: Response;
  try {
    const init = { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body, signal };
    res = await fetch(
      url,
      opts.dispatcher ? ({ ...init, dispatcher: opts.dispatcher } as RequestInit) : init,
    );
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ProviderUnavailableError(provider, `${where}: ${networkMessage(err)}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw httpError(provider, where, res, text, opts.retryAfterHeaders);
  if (text.trim() === '') return { status: res.status, headers: res.headers, data: undefined as T };
  try {
    const data = (opts.parse ?? JSON.parse)(text) as T;
    return { status: res.status, headers: res.headers, data };
  } catch (err) {
    const detail = opts.parse && err instanceof Error ? ` (${err.message.slice(0, 200)})` : '';
    throw new ProviderParseError(provider, `${where}: response is not valid JSON${detail}`, { cause: err });
  }
}

/** Maps an HTTP failure to the error class the retry loop and the run record understand. */
export function httpError(
  provider: string,
  where: string,
  res: { status: number; headers: Headers },
  text: string,
  retryAfterHeaders: readonly string[] = [],
): ProviderError {
  const detail = providerMessage(text);
  const message = `${where}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`;
  if (res.status === 401 || res.status === 403) return new ProviderAuthError(provider, message);
  if (res.status === 429) {
    const waits = ['retry-after', 'retry-after-ms', ...retryAfterHeaders]
      .map((h) => {
        const v = res.headers.get(h);
        if (v === null) return undefined;
        return h === 'retry-after-ms' ? Number(v) : parseRetryAfter(v);
      })
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return new ProviderRateLimitError(provider, message, waits.length ? Math.max(...waits) : undefined);
  }
  if (res.status === 408 || res.status >= 500) return new ProviderUnavailableError(provider, message);
  return new ProviderError(provider, 'request_failed', message, false);
}

/** The provider's own error text from common JSON error shapes, trimmed. */
function providerMessage(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const e = (j.error ?? j.errors ?? j) as unknown;
    const msg =
      typeof e === 'string'
        ? e
        : Array.isArray(e)
          ? (e[0] as { message?: string })?.message
          : ((e as { message?: string })?.message ?? (j.message as string | undefined));
    if (typeof msg === 'string') return msg.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'request';
  }
}

function networkMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'request timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'network error';
}
