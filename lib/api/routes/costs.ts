import { z } from 'zod';
import { EXPORT_CONTENT_TYPE } from '../../costs/export';
import type { RouteSpec } from '../../http/types';
import { TaskPathSchema } from '../handlers/collect';
import {
  ByResourceQuery,
  ByTypeQuery,
  CostHistoryQuerySchema,
  ExportQuery,
  RowsQuery,
  SpendQuery,
  TotalQuery,
  TrendsQuery,
} from '../handlers/costs';
import { AgentTriggerBodySchema } from '../handlers/trigger';
import {
  CollectionSpendSchema,
  CostByResourceSchema,
  CostByTypeSchema,
  CostLatestSchema,
  CostRowsSchema,
  CostTotalSchema,
  CostTrendsSchema,
  RunListSchema,
  RunSchema,
  TriggerResponseSchema,
} from '../responses';
import { CustomerPathSchema, CustomerProviderPathSchema } from '../schemas';

const read = (
  suffix: string,
  name: string,
  summary: string,
  query: z.ZodObject,
  response: z.ZodType,
): RouteSpec => ({
  method: 'GET',
  path: `/api/v2/costs/{customer_id}/{provider}/${suffix}`,
  name,
  auth: 'key',
  timeoutSeconds: 29,
  memoryMb: 1024,
  summary,
  tag: 'costs',
  params: CustomerProviderPathSchema,
  query,
  responses: { 200: response },
});

/**
 * The costs agent's routes (/api/v2/costs/...). `{provider}` may be `all`. Reads take
 * the period of lib/api/query.ts (default the last 30 UTC days) and `service`, `account`,
 * `resource` filters; every response states its period and currency. The collector's
 * trigger/status/history are repeated here restricted to cost, plus what collecting cost
 * in provider API requests.
 */
export const COSTS_ROUTES: readonly RouteSpec[] = [
  read('metrics', 'costs-metrics', 'Cost facts, newest first', RowsQuery, CostRowsSchema),
  read('latest', 'costs-latest', 'The most recent day with cost in the period', TotalQuery, CostLatestSchema),
  read(
    'trends',
    'costs-trends',
    'Zero-filled cost buckets per currency (granularity=day|week|month)',
    TrendsQuery,
    CostTrendsSchema,
  ),
  read(
    'by-resource',
    'costs-by-resource',
    'Top resources by cost, per currency',
    ByResourceQuery,
    CostByResourceSchema,
  ),
  read(
    'by-type',
    'costs-by-type',
    'Cost by service, service category or charge category',
    ByTypeQuery,
    CostByTypeSchema,
  ),
  read(
    'total',
    'costs-total',
    'Billed and effective cost per currency and provider',
    TotalQuery,
    CostTotalSchema,
  ),
  // FOCUS 1.2 as CSV or Parquet: streamed by `npm start`; in AWS a Lambda response holds at most 4 MiB of it.
  {
    ...read(
      'export',
      'costs-export',
      "The period's cost facts as FOCUS 1.2 columns (format=csv|parquet), streamed",
      ExportQuery,
      z.string(),
    ),
    produces: Object.values(EXPORT_CONTENT_TYPE),
  },
  {
    method: 'POST',
    path: '/api/v2/costs/trigger-collection',
    name: 'costs-trigger-collection',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
    summary: 'Collect cost now (202 queued, 200 when async_mode is false)',
    tag: 'costs',
    body: AgentTriggerBodySchema,
    responses: { 200: TriggerResponseSchema, 202: TriggerResponseSchema },
  },
  {
    method: 'GET',
    path: '/api/v2/costs/collection-status/{task_id}',
    name: 'costs-collection-status',
    auth: 'key',
    summary: 'A run that collected cost',
    tag: 'costs',
    params: TaskPathSchema,
    responses: { 200: RunSchema },
  },
  {
    method: 'GET',
    path: '/api/v2/costs/{customer_id}/collection-history',
    name: 'costs-collection-history',
    auth: 'key',
    summary: 'Runs that collected cost, newest first',
    tag: 'costs',
    params: CustomerPathSchema,
    query: CostHistoryQuerySchema,
    responses: { 200: RunListSchema },
  },
  {
    method: 'GET',
    path: '/api/v2/costs/{customer_id}/collection-spend',
    name: 'costs-collection-spend',
    auth: 'key',
    summary: 'Billable provider API requests made by collection, per provider and day',
    tag: 'costs',
    params: CustomerPathSchema,
    query: SpendQuery,
    responses: { 200: CollectionSpendSchema },
  },
];
