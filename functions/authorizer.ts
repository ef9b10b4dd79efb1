import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { authorize } from '../lib/auth/keys';
import { getRuntime } from './_runtime';

/**
 * HTTP API Lambda authorizer (simple responses): Bearer key → customer in the context.
 * A malformed or unknown key is let through *marked* (`auth_error`): the handler wrapper
 * (lib/http/handler.ts) answers it with RFC 6750's 401 and `WWW-Authenticate: Bearer`,
 * which an HTTP API denial (a bare 403) cannot. A missing header never reaches here: API
 * Gateway answers 401 itself (the identity source is required).
 */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2) => {
  const rt = await getRuntime();
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const decision = await authorize(rt.store, header);
  if (decision.isAuthorized) return decision;
  rt.logger.info('authorization denied', {
    request_id: event.requestContext?.requestId,
    reason: decision.error,
  });
  return { isAuthorized: true, context: { auth_error: decision.error ?? 'invalid_request' } };
};
