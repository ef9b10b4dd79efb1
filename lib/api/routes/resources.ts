import type { z } from 'zod';
import type { RouteSpec } from '../../http/types';
import {
  ByTypeQuery,
  ChangesQuery,
  EmptyQuery,
  InventoryQuery,
  ResourcePathSchema,
  ResourceQuery,
} from '../handlers/resources';
import { AgentTriggerBodySchema } from '../handlers/trigger';
import {
  InventorySchema,
  InventorySummarySchema,
  ResourceChangesSchema,
  ResourceDetailSchema,
  ResourcesByTypeSchema,
  TriggerResponseSchema,
} from '../responses';
import { CustomerProviderPathSchema } from '../schemas';

const BASE = '/api/v2/resources/{customer_id}/{provider}';

const read = (
  suffix: string,
  name: string,
  summary: string,
  query: z.ZodObject,
  response: z.ZodType,
  params: z.ZodObject = CustomerProviderPathSchema,
): RouteSpec => ({
  method: 'GET',
  path: `${BASE}/${suffix}`,
  name,
  auth: 'key',
  summary,
  tag: 'resources',
  params,
  query,
  responses: { 200: response },
});

/** The resources agent's routes (/api/v2/resources/...). `list` is the older name of `inventory`. */
export const RESOURCES_ROUTES: readonly RouteSpec[] = [
  read(
    'inventory',
    'resources-inventory',
    "The latest snapshot's resources, filtered and paged",
    InventoryQuery,
    InventorySchema,
  ),
  read('list', 'resources-list', 'Older name of inventory', InventoryQuery, InventorySchema),
  read(
    'resource/{resource_id}',
    'resources-resource',
    'One resource as last seen, and its recent changes',
    ResourceQuery,
    ResourceDetailSchema,
    ResourcePathSchema,
  ),
  read('by-type', 'resources-by-type', 'Resources grouped by type', ByTypeQuery, ResourcesByTypeSchema),
  read(
    'changes',
    'resources-changes',
    'Created, deleted and modified resources in a period',
    ChangesQuery,
    ResourceChangesSchema,
  ),
  read(
    'summary',
    'resources-summary',
    'Counts by provider, type, status and region; compute and GPUs',
    EmptyQuery,
    InventorySummarySchema,
  ),
  {
    method: 'POST',
    path: '/api/v2/resources/trigger-collection',
    name: 'resources-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
    summary: 'Take an inventory snapshot now (202 queued, 200 when async_mode is false)',
    tag: 'resources',
    body: AgentTriggerBodySchema,
    responses: { 200: TriggerResponseSchema, 202: TriggerResponseSchema },
  },
];
