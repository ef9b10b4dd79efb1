import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWriter } from '../../lib/clickhouse/writer';
import { runCollection } from '../../lib/collector/run';
import type { Connection, DataSink } from '../../lib/collector/types';
import { staticConnections } from '../../lib/connections/source';
import { createRegistry } from '../../lib/providers/registry';
import type { BenchContext, BenchSection } from '../harness';

/**
 * A new connection's first collection: 14 days of history for MACHINES machines × 26
 * series at 5-minute steps, from a Prometheus HTTP API stand-in that generates the
 * matrix for whatever range it is asked. Reports wall time, Prometheus requests and peak
 * RSS. Baseline, in the same run: a bare `fetch` + `JSON.parse` of the very same requests
 * (no mapping, validation or storage), so the ratio is what the collector adds.
 *
 * Scale knobs: BACKFILL_MACHINES (default 1000; 100 is a quick look), BACKFILL_STORE=1 to
 * write to the bench's embedded ClickHouse instead of counting rows (chDB writes one
 * statement at a time: a 100M-point store run takes long).
 */

const MACHINES = Number(process.env.BACKFILL_MACHINES ?? 1000);
const STORE = process.env.BACKFILL_STORE === '1';
const SERIES = 26;
const STEP_S = 300;

function standIn() {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(req.url ?? '/');
    if (url.pathname === '/api/v1/query') {
      const oldest = Math.floor(Date.now() / 1000) - 30 * 86_400;
      res.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [0, String(oldest)] }] },
        }),
      );
      return;
    }
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    res.setHeader('content-type', 'application/json');
    res.write('{"status":"success","data":{"resultType":"matrix","result":[');
    for (let m = 0; m < MACHINES; m++) {
      const values: string[] = [];
      for (let t = start; t <= end; t += STEP_S) values.push(`[${t},"${(m % 100) + 0.5}"]`);
      res.write(`${m ? ',' : ''}{"metric":{"instance":"node-${m}:9100"},"values":[${values.join(',')}]}`);
    }
    res.end(']}}');
  });
  return { server, requests };
}

const section: BenchSection = {
  name: 'history-backfill',
  async run(ctx: BenchContext) {
    const { server, requests } = standIn();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const queries = Array.from({ length: SERIES }, (_, i) => ({
      id: `series_${i}`,
      metric: `bench_metric_${i}`,
      unit: 'percent',
      query: `bench_metric_${i}{$__selector}`,
    }));
    const connection: Connection = {
      id: 'bench',
      customerId: 'bench',
      provider: 'onprem',
      enabled: true,
      settings: { prometheus: { url, step: '5m', query_sets: [], queries, max_points_per_query: 11_000 } },
      secrets: {},
      source: 'config',
    };
    let counted = 0;
    const countingSink: DataSink = {
      write: async (rows) => {
        counted += rows.length;
        return rows.length;
      },
    };
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    ctx.progress(`first backfill: ${MACHINES} machines × ${SERIES} series × 14 days at 5 min`);
    const t0 = performance.now();
    const result = await runCollection(
      {
        taskId: randomUUID(),
        customerId: 'bench',
        provider: 'onprem',
        dataTypes: ['performance'],
        trigger: 'manual',
        queuedAt: new Date().toISOString(),
      },
      {
        store: ctx.store,
        writer: createWriter(ctx.store),
        registry: createRegistry(),
        connections: staticConnections([connection]),
        logger: ctx.logger,
        retry: { maxAttempts: 2, baseMs: 10, capMs: 50 },
        maxBackfillMs: 14 * 86_400_000,
        ...(STORE ? {} : { sinks: { performance: countingSink } }),
      },
    );
    const ours = performance.now() - t0;
    clearInterval(sampler);
    const ranges = requests.filter((r) => r.startsWith('/api/v1/query_range'));
    const others = requests.length - ranges.length;
    // Baseline: the same requests, fetched and parsed only.
    const t1 = performance.now();
    for (const r of ranges) await (await fetch(`${url}${r}`)).json();
    const baseline = performance.now() - t1;
    server.close();
    const note = `${result.status}${result.errors.performance ? ` (${result.errors.performance.slice(0, 200)})` : ''}; ${ranges.length} query_range + ${others} query requests; ${STORE ? result.rows.performance : counted} points; peak RSS ${Math.round(peak / 2 ** 20)} MiB (process, embedded ClickHouse included; ${Math.round(rss0 / 2 ** 20)} MiB before)`;
    ctx.report({
      section: 'history-backfill',
      metric: `first 14-day backfill, ${MACHINES} machines × ${SERIES} series`,
      ours: Math.round(ours),
      baseline: Math.round(baseline),
      unit: 'ms',
      better: 'lower',
      note,
    });
  },
};

export default section;
