import { createWriter } from '../../lib/clickhouse/writer';
import type { PerformancePointInput } from '../../lib/schemas/rows';
import { toClickHouseTime } from '../../lib/time';
import type { BenchSection } from '../harness';

/**
 * The writer (validation of every row — compiled check, zod for the rest — version stamping, one serialisation per batch,
 * a content-derived dedup token) against a bare `client.insert` of the same 1,000,000
 * already-valid rows into the same table. Both runs write to their own customer id so
 * neither deduplicates the other.
 */
const section: BenchSection = {
  name: 'writer',
  async run({ store, report, progress, scale }) {
    const N = Math.max(10_000, Math.round(1_000_000 * scale));
    progress(`building ${N.toLocaleString('en-US')} performance points`);
    const t0 = Date.UTC(2026, 0, 1);
    const make = (customer: string): PerformancePointInput[] =>
      Array.from({ length: N }, (_, i) => ({
        customer_id: customer,
        provider: 'aws',
        resource_id: `i-${(i % 1000).toString(16).padStart(17, '0')}`,
        resource_name: `node-${i % 1000}`,
        resource_type: 'instance',
        region: 'us-east-1',
        metric: 'cpu_utilization',
        unit: 'percent',
        value: ((i * 7919) % 10000) / 100,
        ts: toClickHouseTime(t0 + Math.floor(i / 1000) * 300_000),
        source_metric: 'CPUUtilization',
        collected_at: toClickHouseTime(t0),
      }));

    const ours = make('bench-writer');
    const bare = make('bench-bare').map((p) => ({
      ...p,
      dimension: '',
      labels: {},
      task_id: '',
      version: 1,
    }));

    progress('bare @clickhouse/client insert');
    let start = performance.now();
    for (let i = 0; i < bare.length; i += 100_000) {
      await store.client.insert({
        table: 'performance_points',
        values: bare.slice(i, i + 100_000),
        format: 'JSONEachRow',
      });
    }
    const bareMs = performance.now() - start;

    progress('OptiInfra writer');
    // The write alone (validation, versions, serialisation, token, insert); the hourly
    // aggregates' refresh, which every real write also runs, is timed on its own below.
    const writer = createWriter(store, { refreshAggregates: false });
    start = performance.now();
    await writer.write('performance_points', ours);
    const oursMs = performance.now() - start;

    progress('OptiInfra writer with the hourly aggregates refresh');
    const full = make('bench-writer-rollup');
    start = performance.now();
    await createWriter(store).write('performance_points', full);
    const fullMs = performance.now() - start;

    const counts = await (
      await store.client.query({
        query: `SELECT customer_id, count() AS n FROM performance_points
                WHERE customer_id IN ('bench-writer', 'bench-bare') GROUP BY customer_id ORDER BY customer_id`,
        format: 'JSONEachRow',
      })
    ).json<{ customer_id: string; n: number }>();
    if (counts.some((c) => Number(c.n) !== N))
      throw new Error(`row counts differ from ${N}: ${JSON.stringify(counts)}`);

    report({
      section: 'writer',
      metric: `${N.toLocaleString('en-US')} performance points`,
      ours: N / (oursMs / 1000),
      baseline: N / (bareMs / 1000),
      unit: 'rows/s',
      better: 'higher',
      note: `writer ${(oursMs / 1000).toFixed(1)} s vs bare insert ${(bareMs / 1000).toFixed(1)} s`,
    });
    report({
      section: 'writer',
      metric: `${N.toLocaleString('en-US')} points + hourly aggregates`,
      ours: N / (fullMs / 1000),
      baseline: N / (bareMs / 1000),
      unit: 'rows/s',
      better: 'higher',
      note: `writer incl. recomputing the touched hours ${(fullMs / 1000).toFixed(1)} s vs bare insert`,
    });
  },
};
export default section;
