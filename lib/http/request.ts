import type { z } from 'zod';
import { ForbiddenError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../errors';
import type { Logger } from '../logger';
import type { ApiEvent, AuthContext } from './types';

/** Largest request body we parse; API Gateway itself caps payloads at 10 MB. */
export const MAX_BODY_BYTES = 1_048_576;

export interface ApiRequest<R> {
  readonly event: ApiEvent;
  readonly runtime: R;
  readonly logger: Logger;
  readonly requestId: string;
  /** null on public routes */
  readonly auth: AuthContext | null;
  /** Validates path parameters; failures are 400s naming the parameter. */
  path<S extends z.ZodType>(schema: S): z.output<S>;
  /** Validates the query string (repeated keys arrive comma-joined, as API Gateway sends them). */
  query<S extends z.ZodType>(schema: S): z.output<S>;
  /** Parses and validates the JSON body; bad JSON or a bad field is a 400, too large a 413. */
  body<S extends z.ZodType>(schema: S, opts?: { maxBytes?: number }): z.output<S>;
  /** The caller (401 if the request carries no verified key). */
  requireAuth(): AuthContext;
  /** 403 unless the caller's key belongs to `customerId` (or is an admin key). */
  requireCustomer(customerId: string): AuthContext;
  requireAdmin(): AuthContext;
}

export function describeIssues(where: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const field = i.path.length ? i.path.join('.') : '';
      return `${where}${field ? ` ${field}` : ''}: ${i.message}`;
    })
    .join('; ');
}

function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(describeIssues(where, parsed.error));
  return parsed.data;
}

export function buildRequest<R>(
  event: ApiEvent,
  runtime: R,
  logger: Logger,
  requestId: string,
): ApiRequest<R> {
  const lambdaAuth = event.requestContext?.authorizer?.lambda;
  const auth: AuthContext | null = lambdaAuth?.key_id
    ? {
        customer_id: String(lambdaAuth.customer_id ?? ''),
        is_admin: lambdaAuth.is_admin === true || String(lambdaAuth.is_admin) === 'true',
        key_id: String(lambdaAuth.key_id),
      }
    : null;
  return {
    event,
    runtime,
    logger,
    requestId,
    auth,
    path: (schema) => validate(schema, event.pathParameters ?? {}, 'path parameter'),
    query: (schema) => validate(schema, event.queryStringParameters ?? {}, 'query parameter'),
    body(schema, opts = {}) {
      const raw = event.body ?? '';
      const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      const max = opts.maxBytes ?? MAX_BODY_BYTES;
      if (Buffer.byteLength(text) > max) {
        throw new PayloadTooLargeError(`request body is larger than ${max} bytes`);
      }
      if (text.trim() === '') throw new ValidationError('request body is required (JSON)');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ValidationError('request body is not valid JSON');
      }
      return validate(schema, json, 'body');
    },
    requireAuth() {
      if (!auth) throw new UnauthorizedError();
      return auth;
    },
    requireCustomer(customerId) {
      if (!auth) throw new UnauthorizedError();
      if (!auth.is_admin && auth.customer_id !== customerId) throw new ForbiddenError();
      return auth;
    },
    requireAdmin() {
      if (!auth) throw new UnauthorizedError();
      if (!auth.is_admin) throw new ForbiddenError('This operation needs an admin key.');
      return auth;
    },
  };
}
