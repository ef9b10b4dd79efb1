import { parseRetryAfter } from '../../collector/retry';
import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../../errors';

const GRPC_RATE_LIMITED = 8; // RESOURCE_EXHAUSTED
const GRPC_AUTH = new Set([7, 16]); // PERMISSION_DENIED, UNAUTHENTICATED
const GRPC_UNAVAILABLE = new Set([4, 13, 14]); // DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

interface GoogleLikeError {
  name?: string;
  message?: string;
  code?: number | string;
  status?: number | string;
  response?: { status?: number; headers?: { get?(name: string): string | null } };
}

/** The API's own message: REST errors carry the JSON body `{"error":{"message"}}` as their message. */
function googleMessage(e: GoogleLikeError): string {
  const raw = e.message ?? e.name ?? 'error';
  try {
    const body = JSON.parse(raw) as { error?: { message?: string; status?: string } };
    if (body.error?.message)
      return `${body.error.status ? `${body.error.status}: ` : ''}${body.error.message}`;
  } catch {
    // not JSON
  }
  return raw.replace(/\s+/g, ' ').slice(0, 300);
}

/**
 * Maps a google-gax error to our provider error classes. Over REST (fallback, which
 * Compute always uses) the error is a GaxiosError whose `code` is the HTTP status; over
 * gRPC it is a GoogleError with a gRPC code. Both are handled.
 */
export function classifyGcpError(err: unknown, call: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as GoogleLikeError;
  const http = e.response?.status ?? (typeof e.code === 'number' && e.code >= 100 ? e.code : undefined);
  const grpc = typeof e.code === 'number' && e.code < 100 ? e.code : undefined;
  const message = `${call}: ${googleMessage(e)}`;
  if (http === 429 || grpc === GRPC_RATE_LIMITED) {
    return new ProviderRateLimitError(
      'gcp',
      message,
      parseRetryAfter(e.response?.headers?.get?.('retry-after')),
      { cause: err },
    );
  }
  if (http === 401 || http === 403 || (grpc !== undefined && GRPC_AUTH.has(grpc)))
    return new ProviderAuthError('gcp', message, { cause: err });
  if (
    (http !== undefined && (http >= 500 || http === 408)) ||
    (grpc !== undefined && GRPC_UNAVAILABLE.has(grpc)) ||
    NETWORK.has(String(e.code))
  ) {
    return new ProviderUnavailableError('gcp', message, { cause: err });
  }
  return new ProviderError('gcp', 'request_failed', message, false, { cause: err });
}
