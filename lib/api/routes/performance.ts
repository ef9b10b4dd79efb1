import type { RouteSpec } from '../../http/types';

/** The performance agent's routes (/api/v2/performance/...). */
export const PERFORMANCE_ROUTES: readonly RouteSpec[] = [];
