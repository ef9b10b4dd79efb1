import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

/** The performance agent's handlers, by route name. */
export const PERFORMANCE_HANDLERS: Record<string, RouteHandler<Runtime>> = {};
