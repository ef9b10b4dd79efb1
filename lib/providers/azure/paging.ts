import type { ContinuablePage } from '@azure/arm-compute';
import type { CallScopes } from '../call-scopes';
import { classifyAzureError } from './api-errors';

/**
 * Reads an ARM list page by page (nextLink), each page through `scopes`: a failed page is
 * retried from its own continuation token, never from the start; a page that keeps
 * failing ends the list and is recorded as a scope failure.
 */
export async function* armPages<T>(
  scopes: CallScopes,
  label: string,
  open: (continuationToken: string | undefined) => AsyncIterableIterator<ContinuablePage<T>>,
): AsyncGenerator<T[]> {
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const scope = `${label}${page > 1 ? ` page ${page}` : ''}`;
    const answer = await scopes.attempt(scope, async () => {
      const pages = open(token);
      try {
        const r = await pages.next();
        return r.done
          ? { items: [] as T[], next: undefined }
          : { items: [...r.value], next: r.value.continuationToken };
      } catch (err) {
        throw classifyAzureError(err, scope);
      } finally {
        await pages.return?.();
      }
    });
    if (!answer) return;
    yield answer.items;
    token = answer.next;
    if (!token) return;
  }
}

/** /subscriptions/{s}/resourceGroups/{rg}/providers/… → rg */
export const resourceGroupOf = (id: string): string => /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
