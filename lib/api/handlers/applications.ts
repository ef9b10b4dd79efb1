import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

/** The applications agent's handlers, by route name. */
export const APPLICATIONS_HANDLERS: Record<string, RouteHandler<Runtime>> = {};
