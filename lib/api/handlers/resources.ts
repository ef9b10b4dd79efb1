import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

/** The resources agent's handlers, by route name. */
export const RESOURCES_HANDLERS: Record<string, RouteHandler<Runtime>> = {};
