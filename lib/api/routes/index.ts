import type { RouteSpec } from '../../http/types';
import { ALERTS_ROUTES } from './alerts';
import { APPLICATIONS_ROUTES } from './applications';
import { CONNECTIONS_ROUTES } from './connections';
import { COSTS_ROUTES } from './costs';
import { DOCS_ROUTES } from './docs';
import { PERFORMANCE_ROUTES } from './performance';
import { PLATFORM_ROUTES } from './platform';
import { RECOMMENDATIONS_ROUTES } from './recommendations';
import { RESOURCES_ROUTES } from './resources';

/**
 * The route table: stacks/Api.ts builds the HTTP API from it, lib/local/server.ts serves
 * it, tests/stacks prove every route reaches a handler file that exports `handler`.
 * Route `name` = functions/api/<name>.ts = key in lib/api/handlers/index.ts.
 */
export const ROUTES: readonly RouteSpec[] = [
  ...PLATFORM_ROUTES,
  ...COSTS_ROUTES,
  ...PERFORMANCE_ROUTES,
  ...RESOURCES_ROUTES,
  ...APPLICATIONS_ROUTES,
  ...DOCS_ROUTES,
  ...CONNECTIONS_ROUTES,
  ...RECOMMENDATIONS_ROUTES,
  ...ALERTS_ROUTES,
];
