/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep input order.
 * The first rejection rejects the whole map (use allSettled-style wrappers in `fn` to keep going).
 *
 * @example
 * const pages = await mapLimit(accounts, 4, (a) => fetchPage(a));
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return results;
}
