import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, type RecordedRequest, startFakeServer } from '../../helpers/fake-server';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { rows } from '../../helpers/store';

/**
 * Self-hosted machines priced in the connection (`prices:` of an onprem connection), the
 * user's way: connections file → runtime → triggers through HTTP → a Prometheus stand-in
 * whose `up` series show three machines, one of them down half the time. Inventory rows
 * carry the price; cost rows are price × time up, exact.
 */

const STEP = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const day = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY;
const START = day + 9 * HOUR;
const END = day + 12 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const TARGETS = [
  { instance: 'gpu-1.lab:9100', job: 'node' },
  { instance: 'gpu-1.lab:9400', job: 'dcgm' }, // the same machine's DCGM exporter: one machine
  { instance: 'gpu-2.lab:9100', job: 'node', hardware: 'dgx-a100' },
  { instance: 'cpu-3.lab:9100', job: 'node' },
];

function upSeries(req: RecordedRequest) {
  const params = req.method === 'POST' ? new URLSearchParams(req.body) : req.query;
  if (req.path !== '/api/v1/query_range' || !params.get('query')?.startsWith('up')) return { status: 404 };
  const start = Number(params.get('start')) * 1000;
  const end = Number(params.get('end')) * 1000;
  const result = TARGETS.map((metric) => {
    const values: [number, string][] = [];
    for (let t = start; t <= end; t += STEP) {
      // cpu-3 is up only in the first half of each hour.
      const up = metric.instance.startsWith('cpu-3') ? (t % HOUR < HOUR / 2 ? 1 : 0) : 1;
      values.push([t / 1000, String(up)]);
    }
    return { metric: { __name__: 'up', ...metric }, values };
  });
  return { body: { status: 'success', data: { resultType: 'matrix', result } } };
}

let prom: FakeServer;
let api: LocalApi;
let key: string;

beforeAll(async () => {
  prom = await startFakeServer(upSeries);
  const dir = mkdtempSync(join(tmpdir(), 'optiinfra-prices-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    `connections:
  - customer_id: lab
    provider: onprem
    settings:
      prometheus: { url: "${prom.url}", step: 5m }
      prices:
        currency: EUR
        label: hardware
        by_label: { dgx-a100: "12.3456" }
        by_instance: { gpu-1.lab: "2.5" }
        default: "0.7777"
`,
  );
  api = await startLocalApi({ env: { OPTIINFRA_CONNECTIONS_FILE: file } });
  key = await api.key(null);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await prom?.close();
});

const collect = async (dataType: string) => {
  const res = await api.request('POST', '/api/v1/collect/trigger', {
    key,
    body: {
      customer_id: 'lab',
      provider: 'onprem',
      data_types: [dataType],
      async_mode: false,
      start: iso(START),
      end: iso(END),
    },
  });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('succeeded');
  return res.body;
};

describe('priced self-hosted machines', () => {
  it('writes the inventory with each machine priced by instance, by label or by default', async () => {
    await collect('resource');
    const inv = await api.request('GET', '/api/v2/resources/lab/onprem/inventory', { key });
    expect(inv.status).toBe(200);
    const got = await rows<{
      resource_id: string;
      hourly_price: string;
      price_currency: string;
      sku: string;
    }>(
      api.runtime.store,
      `SELECT resource_id, toString(hourly_price) AS hourly_price, price_currency, sku
       FROM resource_snapshots FINAL WHERE customer_id = 'lab' ORDER BY resource_id`,
    );
    expect(got).toEqual([
      { resource_id: 'cpu-3.lab', hourly_price: '0.7777', price_currency: 'EUR', sku: '' },
      { resource_id: 'gpu-1.lab', hourly_price: '2.5', price_currency: 'EUR', sku: '' },
      { resource_id: 'gpu-2.lab', hourly_price: '12.3456', price_currency: 'EUR', sku: 'dgx-a100' },
    ]);
  }, 60_000);

  it('bills price × time up per clock hour, exact to the cent', async () => {
    await collect('cost');
    const got = await rows<{ resource_id: string; hours: string; cost: string; n: string; currency: string }>(
      api.runtime.store,
      `SELECT resource_id, toString(sum(consumed_quantity)) AS hours, toString(sum(billed_cost)) AS cost,
              toString(count()) AS n, any(billing_currency) AS currency
       FROM costs FINAL WHERE x_customer_id = 'lab' GROUP BY resource_id ORDER BY resource_id`,
    );
    expect(got).toEqual([
      // Up 30 of every 60 minutes: 1.5 h × 0.7777 = 1.16655
      { resource_id: 'cpu-3.lab', hours: '1.5', cost: '1.16655', n: '3', currency: 'EUR' },
      { resource_id: 'gpu-1.lab', hours: '3', cost: '7.5', n: '3', currency: 'EUR' },
      { resource_id: 'gpu-2.lab', hours: '3', cost: '37.0368', n: '3', currency: 'EUR' },
    ]);
    const total = await api.request(
      'GET',
      `/api/v2/costs/lab/onprem/total?start=${iso(day)}&end=${iso(day + DAY)}`,
      { key },
    );
    expect(total.status).toBe(200);
    expect(JSON.stringify(total.body)).toContain('45.70335');
  }, 60_000);

  it('refuses prices on a provider whose API adapter prices its machines', async () => {
    const { checkConnectionsFile } = await import('../../../lib/providers/generic/validate');
    const dir = mkdtempSync(join(tmpdir(), 'optiinfra-prices-bad-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      `connections:\n  - customer_id: lab\n    provider: kubernetes\n    settings:\n      prometheus: { url: "http://127.0.0.1:1" }\n      prices: { default: "1" }\n`,
    );
    expect(() => checkConnectionsFile(file, api.runtime.registry, {})).toThrow(/prices.*api:/);
  });
});
