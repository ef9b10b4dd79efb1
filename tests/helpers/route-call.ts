import { createHttpHandler, type RouteHandler } from '../../lib/http/handler';
import type { ApiResult, RouteSpec } from '../../lib/http/types';
import type { Runtime } from '../../lib/runtime';
import { buildApiEvent, lambdaContext } from './api-event';
import { checkDocumented } from './documented';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON, asserted by shape
type Json = any;

export interface RouteCallOptions {
  customer?: string;
  provider?: string;
  query?: Record<string, string>;
  extraPath?: Record<string, string>;
  body?: unknown;
  /** The authorizer's context; null for a request without one. Default: the caller's customer. */
  auth?: { customer_id?: string; is_admin?: boolean } | null;
}

/**
 * A caller for one agent's route table: `call(name, opts)` builds the API Gateway event
 * for the named route (GET routes get `customer_id` and `provider` path parameters),
 * runs its handler through the real HTTP middleware and parses the JSON answer.
 *
 * @example
 * const call = routeCaller(PERFORMANCE_ROUTES, PERFORMANCE_HANDLERS, () => runtime, 'acme');
 * const { status, body } = await call('performance-summary', { query: { days: '7' } });
 */
export function routeCaller(
  routes: readonly RouteSpec[],
  handlers: Readonly<Record<string, RouteHandler<Runtime>>>,
  runtime: () => Runtime,
  defaultCustomer: string,
) {
  return async (name: string, opts: RouteCallOptions = {}): Promise<{ status: number; body: Json }> => {
    const route = routes.find((r) => r.name === name);
    const handler = handlers[name];
    if (!route || !handler) throw new Error(`no route or handler named ${name}`);
    const pathParameters =
      route.method === 'GET'
        ? {
            customer_id: opts.customer ?? defaultCustomer,
            provider: opts.provider ?? 'aws',
            ...opts.extraPath,
          }
        : opts.extraPath
          ? { customer_id: opts.customer ?? defaultCustomer, ...opts.extraPath }
          : undefined;
    const path = pathParameters
      ? route.path.replace(/\{(\w+)\}/g, (_, k: string) =>
          encodeURIComponent(pathParameters[k as keyof typeof pathParameters] ?? ''),
        )
      : route.path;
    const event = buildApiEvent({
      method: route.method,
      path,
      route: route.path,
      ...(pathParameters ? { pathParameters } : {}),
      ...(opts.query ? { query: opts.query } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(opts.auth === null ? {} : { auth: opts.auth ?? { customer_id: defaultCustomer } }),
    });
    const res = (await createHttpHandler(handler, async () => runtime())(
      event,
      lambdaContext(),
    )) as ApiResult & {
      body: string;
    };
    const body = JSON.parse(res.body);
    checkDocumented(`${route.method} ${route.path}`, res.statusCode as number, body);
    return { status: res.statusCode as number, body };
  };
}
