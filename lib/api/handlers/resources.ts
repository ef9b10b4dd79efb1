import { z } from 'zod';
import { assertProviderAvailable } from '../../collector/trigger';
import { NotFoundError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import { enumListParam, intParam, ResourceIdSchema, textFilter } from '../../performance/params';
import {
  CHANGE_TYPES,
  type ResourceScope,
  readByType,
  readChanges,
  readInventory,
  readInventorySummary,
  readResource,
} from '../../resources/reader';
import type { Runtime } from '../../runtime';
import { PERIOD_DEFAULTS, PeriodShape, periodView, resolvePeriod } from '../query';
import { CustomerProviderPathSchema } from '../schemas';
import { agentTrigger } from './trigger';

/** Path, then the caller's right to the customer, then the provider (404 if unknown). */
function resourceScope(req: ApiRequest<Runtime>): ResourceScope {
  const path = req.path(CustomerProviderPathSchema);
  req.requireCustomer(path.customer_id);
  if (path.provider !== 'all') assertProviderAvailable(req.runtime.registry, path.provider);
  return { customerId: path.customer_id, provider: path.provider };
}

const InventoryFilterShape = {
  resource_type: textFilter(),
  region: textFilter(),
  status: textFilter(),
};

export const ResourcePathSchema = CustomerProviderPathSchema.extend({ resource_id: ResourceIdSchema });
export const InventoryQuery = z.strictObject({
  ...InventoryFilterShape,
  limit: intParam(1_000, 1, 5_000),
  offset: intParam(0, 0, 1_000_000),
});
export const ResourceQuery = z.strictObject({ changes_limit: intParam(20, 0, 500) });
export const ByTypeQuery = z.strictObject({ ...InventoryFilterShape, limit: intParam(100, 0, 1_000) });
export const ChangesQuery = z.strictObject({
  ...PeriodShape,
  change_type: enumListParam(CHANGE_TYPES),
  resource_type: textFilter(),
  resource_id: ResourceIdSchema.optional(),
  limit: intParam(500, 1, 5_000),
});
export const EmptyQuery = z.strictObject({});

/**
 * GET /api/v2/resources/{customer_id}/{provider}/inventory (also `.../list`) — the latest
 * snapshot's resources, filtered and paged; `partial` flags a snapshot taken while some
 * provider call failed.
 */
export const resourcesInventory: RouteHandler<Runtime> = async (req) => {
  const scope = resourceScope(req);
  const q = req.query(InventoryQuery);
  const page = await readInventory(req.runtime.store, scope, {
    resourceType: q.resource_type,
    region: q.region,
    status: q.status,
    limit: q.limit,
    offset: q.offset,
  });
  return {
    body: {
      customer_id: scope.customerId,
      provider: scope.provider,
      ...page,
      count: page.resources.length,
      limit: q.limit,
      offset: q.offset,
    },
  };
};

/** GET .../resource/{resource_id} — one resource as last seen, and its recent changes; 404 if never seen. */
export const resourcesResource: RouteHandler<Runtime> = async (req) => {
  const path = req.path(ResourcePathSchema);
  const scope = resourceScope(req);
  const q = req.query(ResourceQuery);
  const detail = await readResource(
    req.runtime.store,
    { ...scope, resourceId: path.resource_id },
    { changesLimit: q.changes_limit },
  );
  if (!detail) {
    throw new NotFoundError(
      `No resource "${path.resource_id}" in any inventory snapshot of customer "${scope.customerId}" (provider ${scope.provider}).`,
    );
  }
  return { body: { customer_id: scope.customerId, provider: scope.provider, ...detail } };
};

/** GET .../by-type — the latest inventory grouped by resource type. */
export const resourcesByType: RouteHandler<Runtime> = async (req) => {
  const scope = resourceScope(req);
  const q = req.query(ByTypeQuery);
  const result = await readByType(req.runtime.store, scope, {
    resourceType: q.resource_type,
    region: q.region,
    status: q.status,
    perType: q.limit,
  });
  return { body: { customer_id: scope.customerId, provider: scope.provider, ...result } };
};

/** GET .../changes?days=|start=&end=&change_type= — created, deleted and modified resources in a period. */
export const resourcesChanges: RouteHandler<Runtime> = async (req) => {
  const scope = resourceScope(req);
  const q = req.query(ChangesQuery);
  const period = resolvePeriod(q, PERIOD_DEFAULTS.resources);
  const result = await readChanges(req.runtime.store, scope, {
    period,
    changeTypes: q.change_type,
    resourceType: q.resource_type,
    resourceId: q.resource_id,
    limit: q.limit,
  });
  return {
    body: {
      customer_id: scope.customerId,
      provider: scope.provider,
      period: periodView(period),
      ...result,
    },
  };
};

/** GET .../summary — counts by provider, type, status and region, compute and GPUs, of the latest inventory. */
export const resourcesSummary: RouteHandler<Runtime> = async (req) => {
  const scope = resourceScope(req);
  req.query(EmptyQuery);
  const summary = await readInventorySummary(req.runtime.store, scope);
  return { body: { customer_id: scope.customerId, provider: scope.provider, ...summary } };
};

/** POST /api/v2/resources/trigger-collection — take an inventory snapshot now (202 queued, 200 sync). */
export const resourcesTrigger: RouteHandler<Runtime> = agentTrigger('resource');

/** The resources agent's handlers, by route name. */
export const RESOURCES_HANDLERS: Record<string, RouteHandler<Runtime>> = {
  'resources-inventory': resourcesInventory,
  'resources-list': resourcesInventory,
  'resources-resource': resourcesResource,
  'resources-by-type': resourcesByType,
  'resources-changes': resourcesChanges,
  'resources-summary': resourcesSummary,
  'resources-trigger': resourcesTrigger,
};
