import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/** What the Lambda authorizer passes to handlers (API Gateway `requestContext.authorizer.lambda`). */
export interface AuthContext {
  customer_id: string;
  is_admin: boolean;
  key_id: string;
}

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthContext | undefined>;
export type ApiResult = APIGatewayProxyStructuredResultV2;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One row of the route table: the single source for the SST Api and the local server. */
export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway path syntax: /api/v1/collect/status/{task_id} */
  readonly path: string;
  /** Handler name: functions/api/<name>.ts exports `handler`, lib/api/handlers maps it. */
  readonly name: string;
  /** 'key': Authorization: Bearer <key> checked by the authorizer. 'none': public. */
  readonly auth: 'key' | 'none';
  /** Lambda timeout; API Gateway itself stops waiting at 30 s. */
  readonly timeoutSeconds?: number;
  /** Lambda memory (MB) for heavier routes. */
  readonly memoryMb?: number;
}
