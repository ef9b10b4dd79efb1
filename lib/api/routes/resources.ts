import type { RouteSpec } from '../../http/types';

/** The resources agent's routes (/api/v2/resources/...). */
export const RESOURCES_ROUTES: readonly RouteSpec[] = [];
