import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import type { z } from 'zod';

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

  // The contract (docs/DEVELOPING.md "Declaring a route's schemas"): the same zod schemas the
  // handler validates with, turned into GET /openapi.json. tests/integration/api/openapi.test.ts
  // fails for a route without them.
  /** One line for the API docs. */
  readonly summary?: string;
  /** The agent the route belongs to: the docs group routes by it. */
  readonly tag?: RouteTag;
  /** Path parameters (`req.path(schema)`). */
  readonly params?: z.ZodObject;
  /** Query string (`req.query(schema)`); a strict object. */
  readonly query?: z.ZodObject;
  /** JSON request body (`req.body(schema)`). */
  readonly body?: z.ZodType;
  /** Success responses by status: the body's schema (errors are documented for every route). */
  readonly responses?: Readonly<Partial<Record<200 | 201 | 202 | 503, z.ZodType>>>;
  /** Content types of a response that is not JSON (the docs page, the FOCUS export). */
  readonly produces?: readonly string[];
}

/** The docs' groups, one per agent. */
export type RouteTag =
  | 'platform'
  | 'costs'
  | 'performance'
  | 'resources'
  | 'applications'
  | 'recommendations'
  | 'connections'
  | 'docs';
