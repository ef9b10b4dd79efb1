import { ProviderError, ProviderRateLimitError } from '../errors';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseMs: 500, capMs: 20_000 };

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** Throttling, 5xx and network failures are worth another try; auth and bad input are not. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ProviderError) return err.retryable;
  if (!err || typeof err !== 'object') return false;
  const e = err as Record<string, unknown> & { $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (e.name === 'AbortError') return false;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  const status = (e.status ?? e.statusCode ?? e.$metadata?.httpStatusCode) as number | undefined;
  if (typeof status === 'number') return status === 408 || status === 429 || status >= 500;
  if (e.cause && e.cause !== err) return isRetryable(e.cause);
  return false;
}

/** Full jitter: a random wait in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  signal?: AbortSignal;
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Calls `fn` until it succeeds, a non-retryable error occurs, or attempts run out; then
 * rethrows the last error. A provider's own wait (`ProviderRateLimitError.retryAfterMs`,
 * from Retry-After headers) is honoured when longer than the jittered delay, up to 5×cap.
 *
 * @example
 * const page = await withRetry((n) => api.getPage(token), { maxAttempts: 4, baseMs: 500, capMs: 20_000 });
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  opts: RetryOptions = {},
): Promise<T> {
  const retryable = opts.retryable ?? isRetryable;
  const sleep = opts.sleep ?? abortableSleep;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= policy.maxAttempts || !retryable(err)) throw err;
      let delay = backoffDelay(attempt, policy);
      if (err instanceof ProviderRateLimitError && err.retryAfterMs !== undefined) {
        delay = Math.min(Math.max(delay, err.retryAfterMs), policy.capMs * 5);
      }
      opts.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, opts.signal);
    }
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Parses Retry-After (seconds or HTTP date) and retry-after-ms style headers to ms. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}
