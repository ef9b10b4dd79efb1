import type { RouteSpec } from '../../http/types';

/** The applications agent's routes (/api/v2/applications/...). */
export const APPLICATIONS_ROUTES: readonly RouteSpec[] = [];
