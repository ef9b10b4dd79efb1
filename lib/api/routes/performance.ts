import type { z } from 'zod';
import type { RouteSpec } from '../../http/types';
import {
  AVERAGE_OPTIONS,
  BY_RESOURCE_OPTIONS,
  LATEST_OPTIONS,
  METRICS_GRANULARITY,
  METRICS_OPTIONS,
  perfQuery,
  ResourcePathSchema,
  SUMMARY_OPTIONS,
  TRENDS_GRANULARITY,
} from '../handlers/performance';
import { AgentTriggerBodySchema } from '../handlers/trigger';
import {
  PerfAverageSchema,
  PerfByResourceSchema,
  PerfLatestSchema,
  PerfMetricsSchema,
  PerfResourceSchema,
  PerfSummarySchema,
  PerfTrendsSchema,
  TriggerResponseSchema,
} from '../responses';
import { CustomerProviderPathSchema } from '../schemas';

const BASE = '/api/v2/performance/{customer_id}/{provider}';

const read = (
  suffix: string,
  name: string,
  summary: string,
  query: z.ZodObject,
  response: z.ZodType,
  extra: Partial<RouteSpec> = {},
): RouteSpec => ({
  method: 'GET',
  path: `${BASE}/${suffix}`,
  name,
  auth: 'key',
  summary,
  tag: 'performance',
  params: CustomerProviderPathSchema,
  query,
  responses: { 200: response },
  ...extra,
});

/** The performance agent's routes (/api/v2/performance/...); the period defaults to the last 7 days. */
export const PERFORMANCE_ROUTES: readonly RouteSpec[] = [
  read(
    'metrics',
    'performance-metrics',
    'Points per series, raw or per granularity (step is its older name)',
    perfQuery({ ...METRICS_GRANULARITY.shape, ...METRICS_OPTIONS }),
    PerfMetricsSchema,
    { memoryMb: 1024 },
  ),
  read(
    'latest',
    'performance-latest',
    'The newest value of every series',
    perfQuery(LATEST_OPTIONS),
    PerfLatestSchema,
  ),
  read(
    'trends',
    'performance-trends',
    'Fleet-wide buckets per metric and their direction (granularity=hour|day)',
    perfQuery(TRENDS_GRANULARITY.shape),
    PerfTrendsSchema,
  ),
  read(
    'by-resource',
    'performance-by-resource',
    'Per resource, per metric statistics',
    perfQuery(BY_RESOURCE_OPTIONS),
    PerfByResourceSchema,
  ),
  read(
    'average',
    'performance-average',
    'Averages per metric, grouped',
    perfQuery(AVERAGE_OPTIONS),
    PerfAverageSchema,
  ),
  read(
    'resource/{resource_id}',
    'performance-resource',
    "One resource's statistics and newest values",
    perfQuery({}),
    PerfResourceSchema,
    { params: ResourcePathSchema },
  ),
  read(
    'summary',
    'performance-summary',
    'Per metric avg, p95, max, and the busiest and idlest resources',
    perfQuery(SUMMARY_OPTIONS),
    PerfSummarySchema,
  ),
  {
    method: 'POST',
    path: '/api/v2/performance/trigger-collection',
    name: 'performance-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
    summary: 'Collect performance data now (202 queued, 200 when async_mode is false)',
    tag: 'performance',
    body: AgentTriggerBodySchema,
    responses: { 200: TriggerResponseSchema, 202: TriggerResponseSchema },
  },
];
