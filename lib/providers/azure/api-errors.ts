import { parseRetryAfter } from '../../collector/retry';
import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../../errors';

interface AzureLikeError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get?(name: string): string | undefined | null } };
}

const NETWORK = new Set(['REQUEST_SEND_ERROR', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND']);

/**
 * Maps an Azure SDK error (RestError from the ARM pipeline, AuthenticationError from
 * @azure/identity) to our provider error classes. The pipeline retries nothing itself
 * (azureClientOptions sets maxRetries 0), so 429 and 5xx reach our retry loop with the
 * service's Retry-After.
 */
export function classifyAzureError(err: unknown, call: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as AzureLikeError;
  const status = e.statusCode;
  const detail = (e.message ?? e.name ?? 'error').replace(/\s+/g, ' ').slice(0, 300);
  const message = `${call}: ${e.code && !detail.startsWith(e.code) ? `${e.code}: ` : ''}${detail}`;
  if (
    e.name === 'AuthenticationError' ||
    e.name === 'CredentialUnavailableError' ||
    status === 401 ||
    status === 403
  ) {
    return new ProviderAuthError('azure', message, { cause: err });
  }
  if (status === 429) {
    const header = (name: string) => e.response?.headers?.get?.(name) ?? undefined;
    const ms = header('retry-after-ms') ?? header('x-ms-retry-after-ms');
    const wait = ms !== undefined ? Number(ms) : parseRetryAfter(header('retry-after'));
    return new ProviderRateLimitError('azure', message, Number.isFinite(wait) ? wait : undefined, {
      cause: err,
    });
  }
  if ((status !== undefined && (status >= 500 || status === 408)) || NETWORK.has(e.code ?? '')) {
    return new ProviderUnavailableError('azure', message, { cause: err });
  }
  return new ProviderError('azure', 'request_failed', message, false, { cause: err });
}
