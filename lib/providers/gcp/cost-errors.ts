import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../../errors';

/** gRPC status codes google-gax errors carry (REST fallback maps HTTP errors onto them). */
const GRPC = {
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};
/** BigQuery reports quota problems as 403 with these reasons: retry later, not an auth failure. */
const RATE_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded', 'jobRateLimitExceeded']);
const UNAVAILABLE_REASONS = new Set(['backendError', 'internalError']);
const TOKEN_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied']);

interface GoogleLikeError {
  name?: string;
  message?: string;
  code?: number | string;
  errors?: { reason?: string; message?: string }[];
  response?: { status?: number; data?: { error?: string; error_description?: string } };
}

/**
 * Maps errors of the Google clients (BigQuery's ApiError with an HTTP status and
 * `errors[].reason`; google-gax's GoogleError with a gRPC code; google-auth-library's token
 * errors) to our provider error classes, keeping Google's message.
 */
export function classifyGoogleError(err: unknown, call: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as GoogleLikeError;
  const reason = e.errors?.[0]?.reason ?? '';
  const text = (e.errors?.length === 1 ? e.errors[0]?.message : undefined) ?? e.message ?? String(err);
  const message = `${call}: ${firstLine(text)}${reason ? ` (${reason})` : ''}`;
  const tokenError = e.response?.data?.error;
  if (tokenError && TOKEN_ERRORS.has(tokenError)) {
    return new ProviderAuthError(
      'gcp',
      `${call}: ${tokenError}: ${e.response?.data?.error_description ?? ''}`.trim(),
      { cause: err },
    );
  }
  const isGrpc = e.name === 'GoogleError' || (typeof e.code === 'number' && e.code < 100 && !e.errors);
  if (isGrpc) {
    if (e.code === GRPC.UNAUTHENTICATED || e.code === GRPC.PERMISSION_DENIED)
      return new ProviderAuthError('gcp', message, { cause: err });
    if (e.code === GRPC.RESOURCE_EXHAUSTED)
      return new ProviderRateLimitError('gcp', message, undefined, { cause: err });
    if (e.code === GRPC.UNAVAILABLE || e.code === GRPC.INTERNAL || e.code === GRPC.DEADLINE_EXCEEDED) {
      return new ProviderUnavailableError('gcp', message, { cause: err });
    }
    return new ProviderError('gcp', 'request_failed', message, false, { cause: err });
  }
  const status = typeof e.code === 'number' ? e.code : (e.response?.status ?? 0);
  if (status === 429 || RATE_REASONS.has(reason))
    return new ProviderRateLimitError('gcp', message, undefined, { cause: err });
  if (status === 401 || status === 403) return new ProviderAuthError('gcp', message, { cause: err });
  if (
    status >= 500 ||
    UNAVAILABLE_REASONS.has(reason) ||
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT'].includes(String(e.code))
  ) {
    return new ProviderUnavailableError('gcp', message, { cause: err });
  }
  return new ProviderError('gcp', 'request_failed', message, false, { cause: err });
}

function firstLine(s: string): string {
  return s.split('\n')[0]?.trim() ?? '';
}
