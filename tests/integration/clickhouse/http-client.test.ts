import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../lib/clickhouse/client';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';

/**
 * The production transport: @clickhouse/client over HTTP. A fake speaking ClickHouse's
 * HTTP interface (query in the body or `query` param, settings as URL params, errors as
 * 500 with X-ClickHouse-Exception-Code) shows what our store factory sends.
 */
let ch: FakeServer;
beforeAll(async () => {
  ch = await startFakeServer();
});
afterAll(() => ch.close());

const opts = () => ({
  url: ch.url,
  user: 'reader',
  password: 'p4ss-w0rd-secret',
  database: 'optiinfra',
  requestTimeoutMs: 1000,
});

describe('HTTP store', () => {
  it('sends database, credentials and our settings, and parses JSONEachRow', async () => {
    ch.handle((req) =>
      req.path === '/ping'
        ? { body: 'Ok.\n' }
        : {
            headers: { 'content-type': 'application/x-ndjson', 'x-clickhouse-format': 'JSONEachRow' },
            body: '{"n":1}\n{"n":2}\n',
          },
    );
    const store = await createStore(opts());
    const rs = await store.client.query({
      query: 'SELECT {n:UInt8} AS n',
      query_params: { n: 1 },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ n: 1 }, { n: 2 }]);
    const req = ch.requests.at(-1);
    expect(req?.query.get('database')).toBe('optiinfra');
    expect(req?.query.get('date_time_input_format')).toBe('best_effort');
    expect(req?.query.get('param_n')).toBe('1');
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from('reader:p4ss-w0rd-secret').toString('base64')}`,
    );
    expect(req?.headers.connection).toBe('keep-alive');
    expect(req?.body).toContain('SELECT {n:UInt8} AS n');
    expect(req?.body).not.toContain('1 AS n');
    expect((await store.client.ping()).success).toBe(true);
    await store.close();
  });

  it("maps a server exception to ClickHouseError with ClickHouse's code, without the password", async () => {
    ch.handle(() => ({
      status: 404,
      headers: { 'x-clickhouse-exception-code': '60' },
      body: 'Code: 60. DB::Exception: Table optiinfra.nope does not exist. (UNKNOWN_TABLE) (version 25.8.1.1)\n',
    }));
    const store = await createStore(opts());
    const err = (await store.client
      .query({ query: 'SELECT * FROM nope', format: 'JSONEachRow' })
      .catch((e: unknown) => e)) as {
      code: string;
      type: string;
      message: string;
    };
    expect(err.code).toBe('60');
    expect(err.type).toBe('UNKNOWN_TABLE');
    expect(err.message).toContain('Table optiinfra.nope does not exist');
    expect(JSON.stringify(err)).not.toContain('p4ss-w0rd-secret');
    await store.close();
  });

  it('gives up after the request timeout instead of hanging', async () => {
    ch.handle(() => ({ delayMs: 3000, body: '{"n":1}\n' }));
    const store = await createStore(opts());
    const t0 = Date.now();
    await expect(store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).rejects.toThrow(
      /Timeout/i,
    );
    expect(Date.now() - t0).toBeLessThan(2500);
    await store.close();
  });

  it('creates the database through a connection that does not name it', async () => {
    ch.handle(() => ({ body: '' }));
    const store = await createStore(opts());
    await store.ensureDatabase();
    const req = ch.requests.at(-1);
    expect(req?.query.get('database')).toBeNull();
    expect(req?.body).toBe('CREATE DATABASE IF NOT EXISTS `optiinfra`');
    await store.close();
  });
});
