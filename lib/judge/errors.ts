import { AppError } from '../errors';

/**
 * The judge answered, but not with a usable verdict (not JSON, schema-invalid, cut off,
 * or Groq's own `json_validate_failed`). The sample is recorded unevaluated with this
 * message and retried on a later run; it is never scored.
 */
export class JudgeOutputError extends AppError {
  /** Tokens the failed call still spent, when known. */
  readonly tokens: number | undefined;
  constructor(message: string, options?: ErrorOptions & { tokens?: number }) {
    super('judge_invalid_output', message, options);
    this.name = 'JudgeOutputError';
    this.tokens = options?.tokens;
  }
}

/**
 * Groq refused this one request (400/413/422 other than an output-validation failure):
 * e.g. the interaction is too large for the model. Recorded like JudgeOutputError.
 */
export class JudgeRequestError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('judge_request_rejected', message, options);
    this.name = 'JudgeRequestError';
  }
}

/**
 * The judge cannot be used right now: throttled or failing after retries, unreachable,
 * or refusing our key or model. The run stops judging, is recorded partial, and the
 * samples wait for the next run (nothing is written for them).
 */
export class JudgeUnavailableError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('judge_unavailable', message, options);
    this.name = 'JudgeUnavailableError';
  }
}
