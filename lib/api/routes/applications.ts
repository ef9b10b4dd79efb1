import type { z } from 'zod';
import { IngestBatchSchema } from '../../applications/ingest';
import { ReadQuerySchema } from '../../applications/query';
import type { RouteSpec } from '../../http/types';
import { CalibrationQuery } from '../handlers/applications';
import { AgentTriggerBodySchema } from '../handlers/trigger';
import {
  AppCalibrationSchema,
  AppFlaggedSchema,
  AppIngestSchema,
  AppModelsSchema,
  AppQualitySchema,
  AppSummarySchema,
  AppToxicitySchema,
  TriggerResponseSchema,
} from '../responses';
import { CustomerPathSchema, CustomerProviderPathSchema } from '../schemas';

const read = (suffix: string, name: string, summary: string, response: z.ZodType): RouteSpec => ({
  method: 'GET',
  path: `/api/v2/applications/{customer_id}/{provider}/${suffix}`,
  name,
  auth: 'key',
  summary,
  tag: 'applications',
  params: CustomerProviderPathSchema,
  query: ReadQuerySchema,
  responses: { 200: response },
});

/**
 * The applications agent's routes (/api/v2/applications/...): sample ingest, the judged
 * quality reads per customer and provider-the-app-runs-on (period default: the last 7
 * days), the judge's calibration, and a manual evaluation run.
 */
export const APPLICATIONS_ROUTES: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/api/v2/applications/{customer_id}/samples',
    name: 'applications-ingest',
    auth: 'key',
    memoryMb: 1024,
    summary: 'Ingest a batch of LLM interactions (ours or OpenTelemetry GenAI)',
    tag: 'applications',
    params: CustomerPathSchema,
    body: IngestBatchSchema,
    responses: { 202: AppIngestSchema },
  },
  read('quality', 'applications-quality', 'Scores over time per application and model', AppQualitySchema),
  read(
    'hallucinations',
    'applications-hallucinations',
    'Hallucination rate and the flagged samples',
    AppFlaggedSchema,
  ),
  read(
    'toxicity',
    'applications-toxicity',
    'Toxicity rate, categories and the flagged samples',
    AppToxicitySchema,
  ),
  read(
    'summary',
    'applications-summary',
    'Per application: volume, coverage, scores, latency, tokens',
    AppSummarySchema,
  ),
  read(
    'models',
    'applications-models',
    'Per model: volume, scores, latency, tokens, cost per 1,000 requests',
    AppModelsSchema,
  ),
  {
    method: 'GET',
    path: '/api/v2/applications/judge/calibration',
    name: 'applications-calibration',
    auth: 'key',
    summary: 'The latest precision/recall/F1 of the judge',
    tag: 'applications',
    query: CalibrationQuery,
    responses: { 200: AppCalibrationSchema },
  },
  {
    method: 'POST',
    path: '/api/v2/applications/trigger-collection',
    name: 'applications-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
    summary: 'Probe and evaluate now (202 queued, 200 ran or nothing to do)',
    tag: 'applications',
    body: AgentTriggerBodySchema,
    responses: { 200: TriggerResponseSchema, 202: TriggerResponseSchema },
  },
];
