import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';
import { ALERTS_HANDLERS } from './alerts';
import { APPLICATIONS_HANDLERS } from './applications';
import { collectHistory, collectorsList, collectStatus, collectTrigger } from './collect';
import { CONNECTIONS_HANDLERS } from './connections';
import { COSTS_HANDLERS } from './costs';
import { docs, openApiJson } from './docs';
import { health } from './health';
import { keysCreate, keysRevoke } from './keys';
import { PERFORMANCE_HANDLERS } from './performance';
import { RECOMMENDATIONS_HANDLERS } from './recommendations';
import { RESOURCES_HANDLERS } from './resources';

/** Route name → handler, for the local server (Lambdas import their one handler directly). */
export const HANDLERS: Record<string, RouteHandler<Runtime>> = {
  health,
  openapi: openApiJson,
  docs,
  'collect-trigger': collectTrigger,
  'collect-status': collectStatus,
  'collect-history': collectHistory,
  'collectors-list': collectorsList,
  'keys-create': keysCreate,
  'keys-revoke': keysRevoke,
  ...COSTS_HANDLERS,
  ...PERFORMANCE_HANDLERS,
  ...RESOURCES_HANDLERS,
  ...APPLICATIONS_HANDLERS,
  ...CONNECTIONS_HANDLERS,
  ...RECOMMENDATIONS_HANDLERS,
  ...ALERTS_HANDLERS,
};
