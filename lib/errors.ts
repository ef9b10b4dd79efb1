/**
 * Error types shared across OptiInfra. Every class sets `name`, accepts `{ cause }`, and
 * carries a stable `code`. HTTP-facing errors also carry the status they map to; anything
 * that is not an `HttpError` becomes a generic 500 with no detail (see lib/http/errors.ts).
 */
export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

/** An error whose message is safe to show to the API caller, with its HTTP status. */
export class HttpError extends AppError {
  readonly status: number;
  /** Response headers the error needs (e.g. WWW-Authenticate on a 401). */
  headers: Record<string, string> = {};
  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'HttpError';
    this.status = status;
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(400, 'bad_request', message, options);
    this.name = 'ValidationError';
  }
}

/** RFC 6750 error codes for a bearer credential that is malformed or not (or no longer) valid. */
export type BearerError = 'invalid_request' | 'invalid_token';

/** The RFC 6750 challenge a 401 carries. */
export function bearerChallenge(error?: BearerError): string {
  return `Bearer realm="optiinfra"${error ? `, error="${error}"` : ''}`;
}

/** 401 with `WWW-Authenticate: Bearer …` (RFC 6750): credentials missing, malformed or unknown. */
export class UnauthorizedError extends HttpError {
  constructor(message = 'A valid API key is required (Authorization: Bearer <key>).', error?: BearerError) {
    super(401, 'unauthorized', message);
    this.name = 'UnauthorizedError';
    this.headers = { 'www-authenticate': bearerChallenge(error) };
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'This API key may not access that customer.') {
    super(403, 'forbidden', message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'not_found', message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, 'conflict', message);
    this.name = 'ConflictError';
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
    this.name = 'PayloadTooLargeError';
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(503, 'unavailable', message, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** Configuration is missing or invalid; the message names the key. */
export class ConfigError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('config_error', message, options);
    this.name = 'ConfigError';
  }
}

/** A migration file could not be applied; the message names the file. */
export class MigrationError extends AppError {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super('migration_error', `${file}: ${message}`, options);
    this.name = 'MigrationError';
    this.file = file;
  }
}

/** One or more rows failed validation; nothing of the batch was written. */
export class RowValidationError extends AppError {
  readonly issues: readonly { index: number; message: string }[];
  constructor(table: string, issues: readonly { index: number; message: string }[]) {
    const shown = issues
      .slice(0, 3)
      .map((i) => `row ${i.index}: ${i.message}`)
      .join('; ');
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
    super('invalid_rows', `${issues.length} invalid row(s) for ${table}, nothing written: ${shown}${more}`);
    this.name = 'RowValidationError';
    this.issues = issues;
  }
}

/** The embedded ClickHouse data folder is held by another process. */
export class DataFolderLockedError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('data_folder_locked', message, options);
    this.name = 'DataFolderLockedError';
  }
}

/** Base for failures talking to a provider API. `retryable` drives the backoff loop. */
export class ProviderError extends AppError {
  readonly retryable: boolean;
  readonly provider: string;
  constructor(provider: string, code: string, message: string, retryable: boolean, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'ProviderError';
    this.provider = provider;
    this.retryable = retryable;
  }
}

export class ProviderAuthError extends ProviderError {
  constructor(provider: string, message: string, options?: ErrorOptions) {
    super(provider, 'auth_failed', message, false, options);
    this.name = 'ProviderAuthError';
  }
}

export class ProviderRateLimitError extends ProviderError {
  /** How long the provider asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(provider: string, message: string, retryAfterMs?: number, options?: ErrorOptions) {
    super(provider, 'rate_limited', message, true, options);
    this.name = 'ProviderRateLimitError';
    this.retryAfterMs = retryAfterMs;
  }
}

export class ProviderUnavailableError extends ProviderError {
  constructor(provider: string, message: string, options?: ErrorOptions) {
    super(provider, 'unavailable', message, true, options);
    this.name = 'ProviderUnavailableError';
  }
}

export class ProviderParseError extends ProviderError {
  constructor(provider: string, message: string, options?: ErrorOptions) {
    super(provider, 'parse_error', message, false, options);
    this.name = 'ProviderParseError';
  }
}

export class ProviderConfigError extends ProviderError {
  constructor(provider: string, message: string, options?: ErrorOptions) {
    super(provider, 'invalid_config', message, false, options);
    this.name = 'ProviderConfigError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
