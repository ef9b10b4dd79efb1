import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../../errors';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const AUTH = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'AuthFailure',
  'UnauthorizedOperation',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'OptInRequired',
]);

/**
 * Maps an AWS SDK v3 error to our provider error classes, keeping the service's message.
 * Our own errors pass through unchanged.
 */
export function classifyAwsError(err: unknown, call: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const message = `${call}: ${name}${e?.message && e.message !== name ? `: ${e.message}` : ''}`;
  if (THROTTLING.has(name) || status === 429)
    return new ProviderRateLimitError('aws', message, undefined, { cause: err });
  if (AUTH.has(name) || status === 401 || status === 403)
    return new ProviderAuthError('aws', message, { cause: err });
  if (
    (status !== undefined && status >= 500) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(e?.code ?? '') ||
    name === 'TimeoutError'
  ) {
    return new ProviderUnavailableError('aws', message, { cause: err });
  }
  return new ProviderError('aws', 'request_failed', message, false, { cause: err });
}
