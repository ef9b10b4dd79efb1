import type { Connection } from '../../collector/types';
import { ProviderConfigError, ProviderParseError } from '../../errors';
import { fetchJson } from '../http';
import type { VultrSettings } from './config';

/** Vultr allows 500 items per page on list endpoints. */
const PER_PAGE = 500;

export interface VultrApi {
  /** GET `path` (under /v2) and return the parsed body. */
  get<T>(path: string, query?: Record<string, string>): Promise<T>;
}

/** A Vultr v2 client over plain fetch (the official SDK lacks cursors on several lists). */
export function vultrApi(conn: Connection<VultrSettings>, signal: AbortSignal): VultrApi {
  const key = conn.secrets.api_key;
  if (!key) throw new ProviderConfigError('vultr', 'secret api_key is required');
  const base = conn.settings.base_url.replace(/\/+$/, '');
  return {
    async get<T>(path: string, query: Record<string, string> = {}) {
      const qs = new URLSearchParams(query).toString();
      const { data } = await fetchJson<T>('vultr', `${base}/v2${path}${qs ? `?${qs}` : ''}`, {
        headers: { authorization: `Bearer ${key}` },
        signal,
      });
      if (data === undefined || data === null || typeof data !== 'object') {
        throw new ProviderParseError('vultr', `GET /v2${path}: expected a JSON object`);
      }
      return data;
    },
  };
}

interface Page {
  meta?: { links?: { next?: string } };
}

/**
 * Reads every page of a cursor-paginated list (`meta.links.next` until empty), fetching
 * each page through `fetchPage` so the caller decides how a page is retried.
 */
export async function* vultrPages<T>(
  api: VultrApi,
  path: string,
  key: string,
  fetchPage: <R>(label: string, fn: () => Promise<R>) => Promise<R | undefined>,
): AsyncGenerator<T[], void> {
  let cursor = '';
  for (let page = 1; ; page++) {
    const query: Record<string, string> = { per_page: String(PER_PAGE), ...(cursor ? { cursor } : {}) };
    const body = await fetchPage(`GET /v2${path} page ${page}`, async () => {
      const b = await api.get<Page & Record<string, unknown>>(path, query);
      if (!Array.isArray(b[key]))
        throw new ProviderParseError('vultr', `GET /v2${path}: "${key}" is missing or not a list`);
      return b;
    });
    if (body === undefined) return;
    yield body[key] as T[];
    cursor = body.meta?.links?.next ?? '';
    if (!cursor) return;
  }
}
