import type { RouteSpec } from '../../http/types';

/** The costs agent's routes (/api/v2/costs/...). */
export const COSTS_ROUTES: readonly RouteSpec[] = [];
