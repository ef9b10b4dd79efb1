import type { FakeHandler, FakeReply, RecordedRequest } from './fake-server';
import { fixture } from './fixtures';

export const GCP_PROJECT = 'ml-prod-4821';

/** Cloud Billing Catalog path of Compute Engine's SKUs (service 6F81-5844-456A). */
export const COMPUTE_SKUS_PATH = '/v1/services/6F81-5844-456A/skus';
const COMPUTE_SKUS_PAGE_2 = 'CgwIuYCcqgYQwI3ErgIaDgoMRTI5Qy01OTMzLUE3MjA=';

const SERIES_FIXTURES: Record<string, string> = {
  'compute.googleapis.com/instance/network/received_bytes_count': 'monitoring-network-received.json',
  'compute.googleapis.com/instance/network/sent_bytes_count': 'monitoring-network-sent.json',
  'compute.googleapis.com/instance/disk/read_bytes_count': 'monitoring-disk-read.json',
  'compute.googleapis.com/instance/disk/write_bytes_count': 'monitoring-disk-write.json',
};

/** The metric type a timeSeries.list filter asks for. */
export function filterMetricType(req: RecordedRequest): string {
  return /metric\.type = "([^"]+)"/.exec(req.query.get('filter') ?? '')?.[1] ?? '';
}

/**
 * One GCP project as the fixtures describe it, over the REST paths the gax clients use
 * with `fallback: true`: Cloud Monitoring v3 timeSeries (CPU in two pages), Compute v1
 * aggregated instances (two pages), machine types and aggregated disks, and the Cloud
 * Billing Catalog's Compute Engine SKUs (two pages).
 */
export function gcpProject(override?: (req: RecordedRequest) => FakeReply | undefined): FakeHandler {
  return (req) => {
    const o = override?.(req);
    if (o) return o;
    const base = `/compute/v1/projects/${GCP_PROJECT}`;
    if (req.path === `/v3/projects/${GCP_PROJECT}/timeSeries`) {
      const type = filterMetricType(req);
      if (type === 'compute.googleapis.com/instance/cpu/utilization') {
        return {
          body: fixture(
            'gcp',
            req.query.get('pageToken')
              ? 'monitoring-cpu-utilization-page2.json'
              : 'monitoring-cpu-utilization-page1.json',
          ),
        };
      }
      const name = SERIES_FIXTURES[type];
      return name
        ? { body: fixture('gcp', name) }
        : {
            status: 400,
            body: { error: { code: 400, message: `unknown metric ${type}`, status: 'INVALID_ARGUMENT' } },
          };
    }
    if (req.path === `${base}/aggregated/instances`) {
      return {
        body: fixture(
          'gcp',
          req.query.get('pageToken')
            ? 'compute-instances-aggregated-page2.json'
            : 'compute-instances-aggregated-page1.json',
        ),
      };
    }
    if (req.path === COMPUTE_SKUS_PATH) {
      const token = req.query.get('pageToken');
      if (token && token !== COMPUTE_SKUS_PAGE_2)
        return {
          status: 400,
          body: { error: { code: 400, message: `bad page token ${token}`, status: 'INVALID_ARGUMENT' } },
        };
      return {
        body: fixture(
          'gcp',
          token ? 'billing/skus-compute-engine-page-2.json' : 'billing/skus-compute-engine-page-1.json',
        ),
      };
    }
    if (req.path === `${base}/aggregated/disks`)
      return { body: fixture('gcp', 'compute-disks-aggregated.json') };
    const mt = new RegExp(`^${base}/zones/([a-z0-9-]+)/machineTypes/([a-z0-9-]+)$`).exec(req.path);
    if (mt) return { body: fixture('gcp', `compute-machine-type-${mt[2]}.json`) };
    return {
      status: 404,
      body: { error: { code: 404, message: `not found: ${req.path}`, status: 'NOT_FOUND' } },
    };
  };
}
