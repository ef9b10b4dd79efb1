import type { Dispatcher } from 'undici';
import type { CollectContext } from '../../collector/types';
import { errorMessage } from '../../errors';
import type { Logger } from '../../logger';
import { fetchJson } from '../http';
import type { CachedHttp, RequestOptions } from './types';

/** How long a response is reused within a run. */
export const RESPONSE_TTL_MS = 5 * 60_000;

interface Entry {
  expiresAt: number;
  value: Promise<unknown>;
}

/**
 * The responses of one run of one connection. It stores the promise, not the body, so two
 * data types asking for the same page at once share one request; a failed request is
 * forgotten at once (errors are never cached) so the next caller asks again.
 */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(opts: { ttlMs?: number; clock?: () => number } = {}) {
    this.#ttlMs = opts.ttlMs ?? RESPONSE_TTL_MS;
    this.#clock = opts.clock ?? Date.now;
  }

  /** The cached promise for `key`, or the one `load` starts (and caches). */
  getOrLoad<T>(key: string, load: () => Promise<T>): { value: Promise<T>; hit: boolean } {
    const now = this.#clock();
    const found = this.#entries.get(key);
    if (found && found.expiresAt > now) return { value: found.value as Promise<T>, hit: true };
    const value = load();
    const entry: Entry = { expiresAt: now + this.#ttlMs, value };
    this.#entries.set(key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return { value, hit: false };
  }

  /** Entries not yet expired. */
  get size(): number {
    const now = this.#clock();
    let n = 0;
    for (const e of this.#entries.values()) if (e.expiresAt > now) n++;
    return n;
  }

  /** The time the last entry expires (0 when empty): the whole cache can go after that. */
  get expiresAt(): number {
    let last = 0;
    for (const e of this.#entries.values()) last = Math.max(last, e.expiresAt);
    return last;
  }
}

/**
 * Run caches by scope (task id × customer × connection × adapter). A run's data types are
 * collected one after another with separate contexts; this is what lets the cost collector
 * reuse the instance list the resource collector fetched a moment before. A cache is
 * dropped once all its entries have expired, and at most MAX_RUN_CACHES are held (least
 * recently used first out), so a long-lived process (the local runtime, a warm Lambda, a
 * worker draining a queue) holds the responses of its recent runs only. A run whose cache
 * was evicted simply asks again.
 */
const RUN_CACHES = new Map<string, { cache: ResponseCache; createdAt: number }>();
export const MAX_RUN_CACHES = 256;

export function runResponseCache(scope: string, now: number = Date.now()): ResponseCache {
  let held = RUN_CACHES.get(scope);
  if (held) {
    RUN_CACHES.delete(scope);
  } else {
    held = { cache: new ResponseCache(), createdAt: now };
  }
  for (const [key, other] of RUN_CACHES) {
    if (Math.max(other.createdAt + RESPONSE_TTL_MS, other.cache.expiresAt) <= now) RUN_CACHES.delete(key);
  }
  RUN_CACHES.set(scope, held);
  while (RUN_CACHES.size > MAX_RUN_CACHES) {
    const oldest = RUN_CACHES.keys().next().value as string;
    RUN_CACHES.delete(oldest);
  }
  return held.cache;
}

/** Scope of a run's cache: one run (task) of one connection through one adapter. */
export function runCacheScope(
  collect: Pick<CollectContext, 'taskId' | 'customerId' | 'connection'>,
  adapterId: string,
): string {
  return [collect.taskId, collect.customerId, collect.connection.id, adapterId].join('\u0000');
}

export interface CachedHttpOptions {
  /** Provider id for error messages. */
  provider: string;
  cache: ResponseCache;
  retry: CollectContext['retry'];
  signal: AbortSignal;
  logger: Logger;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

/**
 * JSON over HTTP for API adapters: lib/providers/http.ts `fetchJson` (provider error
 * classes, Retry-After), each call wrapped in the run's retry loop, and GETs (and POSTs the
 * caller marks cacheable, such as GraphQL queries) answered from the run's cache for five
 * minutes. The key is method + URL (+ body); request headers are not part of it.
 *
 * @example
 * const http = createCachedHttp({ provider: 'hetzner', cache, retry: ctx.retry, signal, logger });
 * const page = await http.getJson<ServersPage>(`${base}/v1/servers?page=1`, { headers: { authorization } });
 */
export function createCachedHttp(opts: CachedHttpOptions): CachedHttp {
  const request = async <T>(method: 'GET' | 'POST', url: string, body: unknown, o: RequestOptions) => {
    const path = safePath(url);
    return opts.retry(`${opts.provider} ${method} ${path}`, async () => {
      const t0 = Date.now();
      try {
        const res = await fetchJson<T>(opts.provider, url, {
          method,
          body,
          headers: typeof o.headers === 'function' ? await o.headers() : o.headers,
          signal: opts.signal,
          ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
          ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        });
        opts.logger.debug('provider request', {
          method,
          path,
          status: res.status,
          duration_ms: Date.now() - t0,
        });
        o.check?.(res.data);
        return res.data;
      } catch (err) {
        opts.logger.debug('provider request failed', {
          method,
          path,
          duration_ms: Date.now() - t0,
          error: errorMessage(err),
        });
        throw err;
      }
    });
  };
  return {
    getJson<T>(url: string, o: RequestOptions = {}) {
      return opts.cache.getOrLoad(`GET ${url}`, () => request<T>('GET', url, undefined, o)).value;
    },
    postJson<T>(url: string, body: unknown, o: RequestOptions & { cacheable?: boolean } = {}) {
      if (!o.cacheable) return request<T>('POST', url, body, o);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return opts.cache.getOrLoad(`POST ${url}\n${text}`, () => request<T>('POST', url, text, o)).value;
    },
  };
}

/** Host and path only: query strings may carry keys (RunPod's `?api_key=`). */
function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(invalid url)';
  }
}
