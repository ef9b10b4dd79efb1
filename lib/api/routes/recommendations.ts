import { z } from 'zod';
import type { RouteSpec } from '../../http/types';
import {
  DismissBody,
  ItemPathSchema,
  ListQuery,
  StatusPath,
  SummaryQuery,
  TriggerBody,
} from '../handlers/recommendations';
import { CustomerProviderPathSchema } from '../schemas';

const BASE = '/api/v2/recommendations/{customer_id}';

/** Response bodies, by their top-level fields (docs/recommendations.md has every field). */
const Recommendation = z.looseObject({ id: z.string(), kind: z.string(), state: z.string() });
const List = z.looseObject({ recommendations: z.array(Recommendation) });
const Summary = z.looseObject({ period: z.looseObject({ start: z.string(), end: z.string() }) });
const Evaluation = z.looseObject({});

const rec = { tag: 'recommendations' as const, auth: 'key' as const };

/** The recommendations agent's routes (/api/v2/recommendations/...). Item routes first: `item` is not a provider. */
export const RECOMMENDATIONS_ROUTES: readonly RouteSpec[] = [
  {
    ...rec,
    method: 'GET',
    path: `${BASE}/item/{id}`,
    name: 'recommendations-item',
    summary: 'One recommendation with its evidence',
    params: ItemPathSchema,
    responses: { 200: Recommendation },
  },
  {
    ...rec,
    method: 'POST',
    path: `${BASE}/item/{id}/dismiss`,
    name: 'recommendations-dismiss',
    summary: 'Dismiss a recommendation (until a date, or for good)',
    params: ItemPathSchema,
    body: DismissBody,
    responses: { 200: Recommendation },
  },
  {
    ...rec,
    method: 'GET',
    path: `${BASE}/{provider}`,
    name: 'recommendations-list',
    summary: 'Recommendations with monthly savings (kind, state, min_savings, resource filters)',
    params: CustomerProviderPathSchema,
    query: ListQuery,
    responses: { 200: List },
  },
  {
    ...rec,
    method: 'GET',
    path: `${BASE}/{provider}/summary`,
    name: 'recommendations-summary',
    summary: 'Savings per month by kind and provider per currency, and LLM unit economics',
    params: CustomerProviderPathSchema,
    query: SummaryQuery,
    responses: { 200: Summary },
  },
  {
    ...rec,
    method: 'POST',
    path: '/api/v2/recommendations/trigger-evaluation',
    name: 'recommendations-trigger',
    summary: "Evaluate a customer's recommendations now",
    timeoutSeconds: 29,
    memoryMb: 1024,
    body: TriggerBody,
    responses: { 200: Evaluation },
  },
  {
    ...rec,
    method: 'GET',
    path: '/api/v2/recommendations/evaluation-status/{task_id}',
    name: 'recommendations-status',
    summary: 'An evaluation run',
    params: StatusPath,
    responses: { 200: Evaluation },
  },
];
