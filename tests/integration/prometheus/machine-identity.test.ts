import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lib/providers/generic/catalog';
import { checkConnectionsFile } from '../../../lib/providers/generic/validate';
import { type FakeServer, type RecordedRequest, startFakeServer } from '../../helpers/fake-server';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { rows } from '../../helpers/store';

/**
 * One identity per machine: a connection whose `prometheus.resource_id` names machines by
 * a relabelled `node_uid` (as a Kubernetes or CMDB join needs), the catalog's default
 * node_exporter and DCGM queries, and the priced inventory all name each machine alike.
 * The Prometheus stand-in keeps the labels an aggregation keeps (`by`/`without`), as
 * Prometheus does, so a query that aggregates the identity away would show here.
 */

const STEP = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const day = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const MACHINES = [
  { instance: 'gpu-1.lab:9100', node_uid: 'uid-aaa', Hostname: 'gpu-1' },
  { instance: 'gpu-2.lab:9100', node_uid: 'uid-bbb', Hostname: 'gpu-2' },
];

/** The labels of a series after the query's outermost aggregation, as Prometheus returns them. */
function project(query: string, labels: Record<string, string>): Record<string, string> {
  const m = /\b(by|without)\s*\(([^)]*)\)/.exec(query);
  if (!m) return labels;
  const listed = new Set((m[2] as string).split(',').map((l) => l.trim()));
  return Object.fromEntries(Object.entries(labels).filter(([k]) => (m[1] === 'by') === listed.has(k)));
}

function prometheus(req: RecordedRequest) {
  const params = req.method === 'POST' ? new URLSearchParams(req.body) : req.query;
  if (req.path !== '/api/v1/query_range') return { status: 404 };
  const query = params.get('query') ?? '';
  const start = Number(params.get('start')) * 1000;
  const end = Number(params.get('end')) * 1000;
  const result = MACHINES.map((m) => {
    const labels = {
      ...m,
      job: 'node',
      cpu: '0',
      mode: 'idle',
      device: 'eth0',
      mountpoint: '/',
      fstype: 'ext4',
      gpu: '0',
      UUID: `GPU-${m.node_uid}`,
      modelName: 'NVIDIA A100',
    };
    const values: [number, string][] = [];
    for (let t = start; t <= end; t += STEP) values.push([t / 1000, query.startsWith('up') ? '1' : '42']);
    return { metric: project(query, labels), values };
  });
  return { body: { status: 'success', data: { resultType: 'matrix', result } } };
}

let prom: FakeServer;
let api: LocalApi;
let key: string;
let dir: string;

beforeAll(async () => {
  prom = await startFakeServer(prometheus);
  dir = mkdtempSync(join(tmpdir(), 'optiinfra-identity-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    `connections:
  - customer_id: lab
    provider: onprem
    settings:
      prometheus: { url: "${prom.url}", step: 5m, resource_id: ["{node_uid}"] }
      prices: { default: "1.25" }
`,
  );
  api = await startLocalApi({ env: { OPTIINFRA_CONNECTIONS_FILE: file } });
  key = await api.key(null);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await prom?.close();
});

describe('one identity per machine', () => {
  it("gives each machine's CPU, memory, network and GPU points and its inventory row one resource_id", async () => {
    for (const dataType of ['performance', 'resource']) {
      const res = await api.request('POST', '/api/v1/collect/trigger', {
        key,
        body: {
          customer_id: 'lab',
          provider: 'onprem',
          data_types: [dataType],
          async_mode: false,
          start: iso(day),
          end: iso(day + HOUR),
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('succeeded');
    }
    const byMetric = await rows<{ metric: string; ids: string[] }>(
      api.runtime.store,
      `SELECT metric, arraySort(groupUniqArray(resource_id)) AS ids FROM performance_points FINAL
       WHERE customer_id = 'lab' AND metric IN ('cpu_utilization', 'memory_utilization', 'network_in',
         'network_out', 'gpu_utilization', 'gpu_memory_used')
       GROUP BY metric ORDER BY metric`,
    );
    expect(byMetric.map((r) => r.metric)).toEqual([
      'cpu_utilization',
      'gpu_memory_used',
      'gpu_utilization',
      'memory_utilization',
      'network_in',
      'network_out',
    ]);
    for (const r of byMetric) expect(r.ids, r.metric).toEqual(['uid-aaa', 'uid-bbb']);
    const inventory = await rows<{ resource_id: string }>(
      api.runtime.store,
      `SELECT resource_id FROM resource_snapshots FINAL WHERE customer_id = 'lab' ORDER BY resource_id`,
    );
    expect(inventory.map((r) => r.resource_id)).toEqual(['uid-aaa', 'uid-bbb']);
  }, 60_000);

  it('rejects a catalog query that aggregates away a label its resource_id uses, naming both', () => {
    expect(() =>
      parseCatalog(
        `version: 1
query_sets:
  nodes:
    resource_id: ["{node_uid}"]
    queries:
      - { id: cpu, metric: cpu_utilization, unit: percent, query: 'avg by (instance) (rate(node_cpu_seconds_total[5m]))' }
providers:
  - { id: lab, display_name: Lab, category: self_hosted, query_sets: [nodes] }
`,
        'providers.yaml',
      ),
    ).toThrow(/query "cpu" aggregates away "node_uid", which resource_id \["\{node_uid\}"\] needs/);
  });

  it("rejects a connection whose resource_id a query's aggregation drops", () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `connections:
  - customer_id: lab
    provider: onprem
    settings:
      prometheus:
        url: "${prom.url}"
        resource_id: ["{node_uid}"]
        queries: [{ id: busy, metric: cpu_utilization, unit: percent, query: 'sum by (instance) (x)' }]
`,
    );
    expect(() => checkConnectionsFile(file, api.runtime.registry)).toThrow(
      /prometheus\.resource_id.*query "busy" aggregates away "node_uid"/,
    );
  });
});
