import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { authorize } from '../lib/auth/keys';
import { getRuntime } from './_runtime';

/** HTTP API Lambda authorizer (simple responses): Bearer key → customer in the context. */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2) => {
  const rt = await getRuntime();
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const decision = await authorize(rt.store, header);
  if (!decision.isAuthorized)
    rt.logger.info('authorization denied', { request_id: event.requestContext?.requestId });
  return decision;
};
