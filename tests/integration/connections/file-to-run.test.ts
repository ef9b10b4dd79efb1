import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsAccount } from '../../helpers/aws-fake';
import { AZURE_CLIENT, AZURE_SUBSCRIPTION, AZURE_TENANT, azureTenant } from '../../helpers/azure-fake';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { GCP_PROJECT, gcpProject } from '../../helpers/gcp-fake';
import { killStartedProducts, type StartedProduct, startProduct } from '../../helpers/npm-start';
import { fixture } from '../adapters/helpers';
import { type LocalExporter, startExporter } from '../prometheus/exporter';
import { type RunningPrometheus, startNodeExporter, startPrometheus } from '../prometheus/real-prometheus';

/**
 * Issue #17, the user's way: a connections file on disk, `npm start` (the real process,
 * lib/local/main.ts) reading it, and collections triggered over HTTP, for every kind of
 * provider: each big cloud (against their API stand-ins), a Prometheus-only provider
 * (`onprem`, the documented configuration, with and without `step`), a provider with an
 * adapter plus Prometheus (Lambda), and a direct dcgm-exporter connection. The Prometheus
 * is Debian's real server scraping Debian's real node exporter (this machine) and a
 * dcgm-exporter text. Before the fix, every Prometheus and DCGM connection from a file
 * failed every run: the start-up kept its settings parsed and the run parsed them again.
 */

const LAMBDA_KEY = 'secret_lambda_0123456789abcdef.0123456789abcdef';
const AZURE_SECRET = 'Qx8Q~fake.client-secret_value~456';

/** Lambda Cloud API v1 (see tests/integration/adapters/lambdalabs.test.ts). */
const lambdaApi: FakeHandler = (req) => {
  if (req.headers.authorization !== `Bearer ${LAMBDA_KEY}`)
    return { status: 401, body: fixture('lambdalabs', 'error-unauthorized') };
  if (req.path === '/api/v1/instances') return { body: fixture('lambdalabs', 'instances') };
  if (req.path === '/api/v1/instance-types') return { body: fixture('lambdalabs', 'instance-types') };
  return { status: 404, body: { error: { code: 'global/object-does-not-exist', message: 'Not found' } } };
};

/** The onprem connections: the issue's configuration, with each `step` a user may write. */
const STEPS: [customer: string, step: string | null, stepSeconds: number][] = [
  ['prom-default', null, 60],
  ['prom-15s', '15s', 15],
  ['prom-60s', '60s', 60],
  ['prom-5m', '5m', 300],
];

let aws: FakeServer;
let gcp: FakeServer;
let azure: FakeServer;
let lambda: FakeServer;
let exporter: LocalExporter;
let nodeExporter: Awaited<ReturnType<typeof startNodeExporter>>;
let prometheus: RunningPrometheus;
let product: StartedProduct;
let key: string;
let firstSampleMs: number;

function connectionsYaml(): string {
  const onprem = STEPS.map(
    ([customer, step]) => `  - customer_id: ${customer}
    provider: onprem
    id: box
    settings:
      region: here
      prometheus:
        url: ${prometheus.url}${step ? `\n        step: ${step}` : ''}`,
  ).join('\n');
  return `connections:
${onprem}
  - customer_id: clouds
    provider: aws
    settings: { regions: [us-east-1, eu-west-1], endpoint: "${aws.url}" }
    secrets: { access_key_id: env:T17_AWS_KEY_ID, secret_access_key: env:T17_AWS_SECRET }
  - customer_id: clouds
    provider: gcp
    settings: { project_ids: [${GCP_PROJECT}], endpoint: "${gcp.url}" }
  - customer_id: clouds
    provider: azure
    settings:
      tenant_id: ${AZURE_TENANT}
      client_id: ${AZURE_CLIENT}
      subscription_ids: [${AZURE_SUBSCRIPTION}]
      endpoint: "${azure.url}"
    secrets: { client_secret: env:T17_AZURE_SECRET }
  - customer_id: gpu-cloud
    provider: lambdalabs
    settings:
      api: { base_url: "${lambda.url}/api/v1" }
      prometheus: { url: "${prometheus.url}", step: 15s, scrape_interval: 1s }
    secrets: { api_key: env:T17_LAMBDA_KEY }
  - customer_id: gpu-direct
    provider: onprem
    settings:
      dcgm: { url: "${exporter.url}/dcgm/metrics", timeout: 5s }
`;
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the route's JSON, asserted below
  return { status: res.status, body: (await res.json()) as any };
}

const trigger = (customer_id: string, provider: string, data_types: string[]) =>
  api('POST', '/api/v1/collect/trigger', { customer_id, provider, data_types, async_mode: false });

/** Prometheus's own answer for `query` at `atMs`. */
async function promValue(query: string, atMs: number): Promise<number | undefined> {
  const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${atMs / 1000}`;
  const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

beforeAll(async () => {
  [aws, gcp, azure, lambda, exporter, nodeExporter] = await Promise.all([
    startFakeServer(awsAccount()),
    startFakeServer(gcpProject()),
    startFakeServer(azureTenant()),
    startFakeServer(lambdaApi),
    startExporter(),
    startNodeExporter(),
  ]);
  prometheus = await startPrometheus([
    { job: 'node', target: nodeExporter.host, metricsPath: '/metrics' },
    { job: 'dcgm', target: exporter.host, metricsPath: '/dcgm/metrics' },
  ]);
  firstSampleMs = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'optiinfra-file-run-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(file, connectionsYaml());
  product = await startProduct(join(dir, 'data'), {
    OPTIINFRA_CONNECTIONS_FILE: file,
    T17_AWS_KEY_ID: 'TESTACCESSKEYID00001',
    T17_AWS_SECRET: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    T17_AZURE_SECRET: AZURE_SECRET,
    T17_LAMBDA_KEY: LAMBDA_KEY,
    RETRY_BASE_MS: '1',
    RETRY_CAP_MS: '5',
  });
  key = readFileSync(join(dir, 'data', 'admin-key'), 'utf8').trim();
}, 90_000);

afterAll(async () => {
  await product?.stop();
  killStartedProducts();
  await prometheus?.stop();
  await Promise.all([aws, gcp, azure, lambda].map((s) => s?.close()));
  await exporter?.close();
  await nodeExporter?.stop();
});

describe('a connections file read by npm start, collected through the API (issue #17)', () => {
  it('collects the documented onprem configuration with and without step (15s, 60s, 5m), at the step written', async () => {
    // A 60 s step needs one step-aligned instant after Prometheus's first scrapes.
    const ready = (Math.floor(firstSampleMs / 60_000) + 1) * 60_000 + 3_000;
    if (Date.now() < ready) await new Promise((r) => setTimeout(r, ready - Date.now()));

    for (const [customer, , stepSeconds] of STEPS) {
      const run = await trigger(customer, 'onprem', ['performance']);
      expect(run.status, JSON.stringify(run.body)).toBe(200);
      expect(run.body.errors ?? {}).toEqual({});
      expect(run.body.status).toBe('succeeded');
      // Prometheus was asked at the step the file says, in seconds.
      const asked = prometheus.queries().filter((q) => q.query.includes('node_cpu_seconds_total'));
      expect(asked.at(-1)?.step).toBe(stepSeconds);
      if (stepSeconds <= 60) expect(run.body.rows_collected.performance).toBeGreaterThan(0);
    }

    // What was stored is what Prometheus answers for the same expression at the same instants.
    const cpuQuery = prometheus
      .queries()
      .filter((q) => q.query.includes('node_cpu_seconds_total') && q.step === 15)
      .at(-1)?.query as string;
    const res = await api('GET', '/api/v2/performance/prom-15s/onprem/metrics?metric=cpu_utilization&days=1');
    expect(res.status).toBe(200);
    const points = (res.body.series as { points: { ts?: string; at?: string; value: number }[] }[]).flatMap(
      (s) => s.points,
    );
    expect(points.length).toBeGreaterThan(0);
    for (const p of points) {
      const at = Date.parse(`${(p.ts ?? p.at) as string}`.replace(' ', 'T').replace(/(Z)?$/, 'Z'));
      expect(p.value).toBe(await promValue(cpuQuery, at));
    }
  }, 120_000);

  it.each([
    ['aws', ['resource', 'performance']],
    ['gcp', ['resource', 'performance']],
    ['azure', ['resource', 'performance']],
  ])('collects %s through its stand-in with secrets from env: references', async (provider, types) => {
    const run = await trigger('clouds', provider, types);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.errors ?? {}).toEqual({});
    expect(run.body.status).toBe('succeeded');
    for (const t of types) expect(run.body.rows_collected[t]).toBeGreaterThan(0);
  });

  it('collects a provider with an adapter plus Prometheus (Lambda): inventory from the API, GPU points from Prometheus', async () => {
    const run = await trigger('gpu-cloud', 'lambdalabs', ['resource', 'performance']);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.errors ?? {}).toEqual({});
    expect(run.body.status).toBe('succeeded');
    expect(run.body.rows_collected.resource).toBe(3);
    expect(run.body.rows_collected.performance).toBeGreaterThan(0);
    expect(lambda.requests.some((r) => r.path === '/api/v1/instances')).toBe(true);
  });

  it('collects a direct dcgm-exporter connection', async () => {
    const run = await trigger('gpu-direct', 'onprem', ['performance']);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.errors ?? {}).toEqual({});
    expect(run.body.status).toBe('succeeded');
    expect(exporter.scrapes.dcgm).toBeGreaterThan(0);
    const util = await api('GET', '/api/v2/performance/gpu-direct/onprem/latest?metric=gpu_utilization');
    expect(util.status).toBe(200);
    const values = JSON.stringify(util.body);
    // tests/fixtures/dcgm/h100-two-gpus.txt: DCGM_FI_DEV_GPU_UTIL 87 and 12.
    expect(values).toContain('87');
    expect(values).toContain('12');
  });
});
