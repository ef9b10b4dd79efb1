import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../lib/collector/types';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';

/**
 * Alerts as a user meets them: a Prometheus connection that fails three collections in a
 * row sends one alert to ALERT_WEBHOOK_URL (a local test server), a fourth failure sends
 * nothing more, the first success sends a recovery; GET /api/v1/alerts lists them.
 */
let prom: FakeServer;
let hook: FakeServer;
let api: LocalApi;
let key: string;
let failing = true;
const SECRET = 'prom-token-9c1e5b2d4f607f3a';

beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  prom = await startFakeServer(() =>
    failing
      ? { status: 503, body: { status: 'error', errorType: 'unavailable', error: `down, token ${SECRET}` } }
      : {
          body: {
            status: 'success',
            data: {
              resultType: 'matrix',
              result: [{ metric: { instance: 'n1' }, values: [[now - 60, '12']] }],
            },
          },
        },
  );
  hook = await startFakeServer(() => ({ status: 204 }));
  const connection: Connection = {
    id: 'dc1',
    customerId: 'alerted',
    provider: 'onprem',
    enabled: true,
    settings: {
      prometheus: {
        url: prom.url,
        query_sets: [],
        auth: { type: 'bearer', token_secret: 'prom_token' },
        queries: [{ id: 'cpu', metric: 'cpu_utilization', unit: 'percent', query: 'node_cpu' }],
      },
    },
    secrets: { prom_token: SECRET },
    source: 'config',
  };
  api = await startLocalApi({
    env: { ALERT_WEBHOOK_URL: `${hook.url}/hooks/T000/secret`, RETRY_MAX_ATTEMPTS: '1' },
    connections: [connection],
  });
  key = await api.key('alerted');
});
afterAll(async () => {
  await api.close();
  await prom.close();
  await hook.close();
});

const collect = async () =>
  (
    await api.request('POST', '/api/v1/collect/trigger', {
      key,
      body: { customer_id: 'alerted', provider: 'onprem', data_types: ['performance'], async_mode: false },
    })
  ).body;

const notices = () =>
  hook.requests.map(
    (r) => JSON.parse(r.body) as { event: string; text: string; alert: Record<string, unknown> },
  );

describe('alerts', () => {
  it('fires once after three consecutive failures, names what failed without secrets, and recovers after a success', async () => {
    for (let i = 0; i < 2; i++) expect((await collect()).status).toBe('failed');
    expect(notices()).toEqual([]);

    expect((await collect()).status).toBe('failed');
    expect(notices()).toHaveLength(1);
    const [alert] = notices();
    expect(alert?.event).toBe('alert');
    expect(alert?.alert).toMatchObject({
      kind: 'consecutive_failures',
      customer_id: 'alerted',
      provider: 'onprem',
      connection_id: 'dc1',
      status: 'open',
    });
    expect(alert?.text).toContain('3 collections in a row failed');
    expect(String(alert?.alert.last_error)).toMatch(/performance: .+/);
    expect(JSON.stringify(notices())).not.toContain(SECRET);
    expect(hook.requests[0]?.headers['content-type']).toBe('application/json');

    // Still failing: the same incident, no second notice.
    expect((await collect()).status).toBe('failed');
    expect(notices()).toHaveLength(1);
    const open = await api.request('GET', '/api/v1/alerts?customer_id=alerted', { key });
    expect(open.status).toBe(200);
    expect(open.body.open).toBe(1);
    expect(open.body.alerts[0]).toMatchObject({
      kind: 'consecutive_failures',
      status: 'open',
      notified: true,
    });

    failing = false;
    expect((await collect()).status).toBe('succeeded');
    expect(notices().map((n) => n.event)).toEqual(['alert', 'recovery']);
    expect(notices()[1]?.alert).toMatchObject({ status: 'resolved', kind: 'consecutive_failures' });
    const after = await api.request('GET', '/api/v1/alerts?customer_id=alerted', { key });
    expect(after.body.open).toBe(0);
    expect(after.body.alerts[0]).toMatchObject({ status: 'resolved' });

    // Another customer's key sees nothing of it.
    const other = await api.key('someone-else');
    expect((await api.request('GET', '/api/v1/alerts?customer_id=alerted', { key: other })).status).toBe(403);
  });
});
