import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

/** The costs agent's handlers, by route name. */
export const COSTS_HANDLERS: Record<string, RouteHandler<Runtime>> = {};
