import type { RouteSpec } from '../../http/types';

/**
 * The applications agent's routes (/api/v2/applications/...): sample ingest, the judged
 * quality reads per customer and provider-the-app-runs-on, the judge's calibration, and
 * a manual evaluation run.
 */
export const APPLICATIONS_ROUTES: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/api/v2/applications/{customer_id}/samples',
    name: 'applications-ingest',
    auth: 'key',
    memoryMb: 1024,
  },
  {
    method: 'GET',
    path: '/api/v2/applications/{customer_id}/{provider}/quality',
    name: 'applications-quality',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/applications/{customer_id}/{provider}/hallucinations',
    name: 'applications-hallucinations',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/applications/{customer_id}/{provider}/toxicity',
    name: 'applications-toxicity',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/applications/{customer_id}/{provider}/summary',
    name: 'applications-summary',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/applications/{customer_id}/{provider}/models',
    name: 'applications-models',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/applications/judge/calibration',
    name: 'applications-calibration',
    auth: 'key',
  },
  {
    method: 'POST',
    path: '/api/v2/applications/trigger-collection',
    name: 'applications-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
];
