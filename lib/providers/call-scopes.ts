import type { CollectContext } from '../collector/types';
import { errorMessage, ProviderConfigError, ProviderError } from '../errors';

/**
 * Some provider calls failed (after retries) while others succeeded. Thrown by a collector
 * after it has yielded everything it could collect, so the run records what was written
 * and the error, the watermark does not move, and an inventory snapshot is marked
 * incomplete (no deletions are inferred from it).
 */
export class CollectionIncompleteError extends ProviderError {
  readonly failures: readonly { scope: string; error: string }[];
  constructor(provider: string, failures: readonly { scope: string; error: string }[]) {
    const shown = failures
      .slice(0, 3)
      .map((f) => `${f.scope}: ${f.error}`)
      .join('; ');
    const more = failures.length > 3 ? ` (and ${failures.length - 3} more)` : '';
    super(
      provider,
      'incomplete',
      `${provider} collection incomplete, ${failures.length} failed: ${shown}${more}`,
      false,
    );
    this.name = 'CollectionIncompleteError';
    this.failures = failures;
  }
}

/**
 * Isolates failures per scope (a region, a project, a page of metric queries): one scope
 * failing after its retries does not stop the others. At the end, `finish()` throws
 * `CollectionIncompleteError` if any scope failed.
 *
 * A configuration error (bad secret) and an abort are not scope failures: they rethrow at
 * once, since every further call would fail the same way.
 *
 * @example
 * const scopes = createCallScopes(ctx);
 * for (const region of regions) {
 *   const page = await scopes.attempt(`${region} DescribeInstances`, () => ec2.send(cmd));
 *   if (page) yield map(page);
 * }
 * scopes.finish();
 */
export interface CallScopes {
  /** Runs `fn` through the context's retry loop; on final failure records it and resolves undefined. */
  attempt<T>(scope: string, fn: (attempt: number) => Promise<T>): Promise<T | undefined>;
  /** Records a failure found inside a successful answer (e.g. a per-query status). */
  fail(scope: string, error: unknown): void;
  /** Whether any scope has failed so far. */
  readonly failed: boolean;
  finish(): void;
}

export function createCallScopes(
  ctx: Pick<CollectContext, 'provider' | 'retry' | 'signal' | 'logger'>,
): CallScopes {
  const failures: { scope: string; error: string }[] = [];
  const record = (scope: string, err: unknown) => {
    const full = errorMessage(err);
    // Provider errors often already start with the call they describe.
    const message = full.startsWith(`${scope}: `) ? full.slice(scope.length + 2) : full;
    failures.push({ scope, error: message });
    ctx.logger.warn('provider call failed, continuing with the rest', { scope, error: message });
  };
  return {
    async attempt(scope, fn) {
      try {
        return await ctx.retry(scope, fn);
      } catch (err) {
        if (ctx.signal.aborted || err instanceof ProviderConfigError) throw err;
        record(scope, err);
        return undefined;
      }
    },
    fail(scope, error) {
      record(scope, error);
    },
    get failed() {
      return failures.length > 0;
    },
    finish() {
      if (failures.length > 0) throw new CollectionIncompleteError(ctx.provider, failures);
    },
  };
}

/**
 * The same scopes, also telling `onFailure` when one of its attempts fails: for callers
 * that must know whether a whole list was read (to avoid describing resources from a
 * partial lookup).
 */
export function trackFailures(scopes: CallScopes, onFailure: () => void): CallScopes {
  return {
    async attempt(scope, fn) {
      const result = await scopes.attempt(scope, fn);
      if (result === undefined) onFailure();
      return result;
    },
    fail(scope, error) {
      onFailure();
      scopes.fail(scope, error);
    },
    get failed() {
      return scopes.failed;
    },
    finish: () => scopes.finish(),
  };
}
