import { createHash } from 'node:crypto';
import type { CollectContext } from '../../collector/types';
import type { CachedHttp } from '../adapters/types';
import { fetchJson } from '../http';

const TTL_MS = 5 * 60_000;

interface RunCache {
  createdAt: number;
  entries: Map<string, Promise<unknown>>;
}

/** Per run (task id): the answers already fetched. Runs of one process share nothing else. */
const caches = new Map<string, RunCache>();

function cacheFor(taskId: string, now: number): Map<string, Promise<unknown>> {
  for (const [id, c] of caches) if (now - c.createdAt > TTL_MS) caches.delete(id);
  let c = caches.get(taskId);
  if (!c) {
    c = { createdAt: now, entries: new Map() };
    caches.set(taskId, c);
  }
  return c.entries;
}

const keyOf = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/**
 * The adapters' HTTP client for one run: JSON over fetchJson (provider error classes),
 * each call under the run's retry policy, and answers cached for the run (5-minute TTL)
 * so that the resource, cost and performance data types of one job ask the API once.
 * A failed call is not cached. Cache keys are hashes: headers (credentials) are never kept.
 *
 * @example
 * const http = createRunHttp(ctx, 'runpod');
 * const pods = await http.getJson<Pods>(`${base}/pods`, { headers: { authorization: `Bearer ${key}` } });
 */
export function createRunHttp(collect: CollectContext<unknown>, provider: string): CachedHttp {
  const cached = <T>(key: string, call: () => Promise<T>): Promise<T> => {
    const entries = cacheFor(collect.taskId, Date.now());
    const hit = entries.get(key);
    if (hit) return hit as Promise<T>;
    const p = call();
    entries.set(key, p);
    p.catch(() => entries.delete(key));
    return p;
  };
  const label = (method: string, url: string) => {
    try {
      const u = new URL(url);
      return `${provider} ${method} ${u.host}${u.pathname}`;
    } catch {
      return `${provider} ${method}`;
    }
  };
  return {
    getJson<T>(url: string, opts: { headers?: Record<string, string> } = {}) {
      return cached(keyOf(['GET', url, opts.headers ?? {}]), () =>
        collect.retry(label('GET', url), async () => {
          const res = await fetchJson<T>(provider, url, {
            headers: opts.headers ?? {},
            signal: collect.signal,
          });
          return res.data;
        }),
      );
    },
    postJson<T>(
      url: string,
      body: unknown,
      opts: { headers?: Record<string, string>; cacheable?: boolean } = {},
    ) {
      const call = () =>
        collect.retry(label('POST', url), async () => {
          const res = await fetchJson<T>(provider, url, {
            method: 'POST',
            body,
            headers: opts.headers ?? {},
            signal: collect.signal,
          });
          return res.data;
        });
      return opts.cacheable ? cached(keyOf(['POST', url, body, opts.headers ?? {}]), call) : call();
    },
  };
}
