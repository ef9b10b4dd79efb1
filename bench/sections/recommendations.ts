import { createWriter } from '../../lib/clickhouse/writer';
import { evaluateCustomer } from '../../lib/recommendations/engine';
import { RULE_METRICS } from '../../lib/recommendations/input';
import { toClickHouseTime } from '../../lib/time';
import type { BenchSection } from '../harness';

/**
 * Recommendations evaluation at fleet scale: C customers × R resources × D days of hourly
 * points (cpu_utilization, network_in, network_out), plus one inventory snapshot, generated
 * inside ClickHouse. Measured: evaluating every customer (read inventory + usage, run the
 * rules, merge with stored state, write) against the bare SQL that computes the same
 * per-series aggregates for every customer (the floor any implementation pays).
 *
 * Scale knob: BENCH_REC_CUSTOMERS (default 10), BENCH_REC_RESOURCES (1,000),
 * BENCH_REC_DAYS (14). The full size is BENCH_REC_CUSTOMERS=100 (336M points at
 * 14 days: hours on a shared 2-core machine).
 */
const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

const section: BenchSection = {
  name: 'recommendations',
  async run(ctx) {
    const customers = num('BENCH_REC_CUSTOMERS', 10);
    const resources = num('BENCH_REC_RESOURCES', 1_000);
    const days = num('BENCH_REC_DAYS', 14);
    const hours = days * 24;
    const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const start = new Date(now.getTime() - hours * 3_600_000);
    const { store, logger } = ctx;
    const ids = Array.from({ length: customers }, (_, i) => `bench-rec-${i}`);
    for (const [ci, customer] of ids.entries()) {
      // A third of the machines idle (peak CPU 2 %), the rest busy; network 10 B/s.
      await store.client.command({
        query: `INSERT INTO performance_points
            (customer_id, provider, resource_id, resource_name, resource_type, region, metric, dimension, unit,
             value, ts, source_metric, task_id, collected_at, version)
          SELECT {c:String}, 'aws', concat('i-', toString(r)), concat('node-', toString(r)), 'vm', 'us-east-1',
            ['cpu_utilization', 'network_in', 'network_out'][m + 1], '', if(m = 0, 'percent', 'bytes_per_second'),
            if(m = 0, if(r % 3 = 0, 2, 20 + (cityHash64(n) % 50)), 10),
            toDateTime64({start:String}, 3, 'UTC') + toIntervalMinute(60 * h + 1), 'bench', 'bench', now64(3), 1
          FROM (SELECT number AS n, intDiv(number, ${hours * 3}) AS r, intDiv(number % ${hours * 3}, ${hours}) AS m,
                  number % ${hours} AS h
                FROM numbers(${resources * hours * 3}))`,
        query_params: { c: customer, start: toClickHouseTime(start) },
      });
      await store.client.command({
        query: `INSERT INTO resource_snapshots
            (customer_id, provider, snapshot_at, resource_id, resource_type, name, status, region, sku, vcpus,
             memory_gib, gpu_count, hourly_price, price_currency, task_id, version)
          SELECT {c:String}, 'aws', toDateTime64({at:String}, 3, 'UTC'), concat('i-', toString(number)), 'vm',
            concat('node-', toString(number)), 'running', 'us-east-1', 't3.medium', 2, 4, 0, toDecimal128('0.0416', 10),
            'USD', 'bench', 1
          FROM numbers(${resources})`,
        query_params: { c: customer, at: toClickHouseTime(new Date(now.getTime() - 60_000)) },
      });
      ctx.progress(`recommendations: customer ${ci + 1}/${customers} generated`);
    }
    const writer = createWriter(store);
    const ours = async () => {
      for (const c of ids) {
        const r = await evaluateCustomer({ store, writer, logger }, c, { now });
        if (r.status !== 'succeeded') throw new Error(r.error);
      }
    };
    const baseline = async () => {
      for (const c of ids) {
        const rs = await store.client.query({
          query: `SELECT provider, resource_id, metric, dimension, count(), uniqExact(toStartOfHour(ts)), max(value),
              avg(value), quantileExactInclusive(0.95)(value), sumMap([toString(toDate(ts))], [value])
            FROM performance_points FINAL
            WHERE customer_id = {c:String} AND metric IN {metrics:Array(String)}
              AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
            GROUP BY provider, resource_id, metric, dimension`,
          query_params: {
            c,
            metrics: [...RULE_METRICS],
            start: toClickHouseTime(start),
            end: toClickHouseTime(now),
          },
          format: 'JSONEachRow',
          clickhouse_settings: { do_not_merge_across_partitions_select_final: 1 },
        });
        await rs.json();
      }
    };
    // Check the answer first: a third of each customer's machines idle, at 0.0416 × 730.
    const first = await evaluateCustomer({ store, writer, logger }, ids[0] as string, { now });
    const expected = Math.ceil(resources / 3);
    if (first.open !== expected) throw new Error(`expected ${expected} idle machines, found ${first.open}`);
    const t0 = performance.now();
    await ours();
    const oursMs = performance.now() - t0;
    const t1 = performance.now();
    await baseline();
    const baseMs = performance.now() - t1;
    ctx.report({
      section: 'recommendations',
      metric: `evaluate ${customers} customers × ${resources} resources × ${days} days`,
      ours: oursMs,
      baseline: baseMs,
      unit: 'ms',
      better: 'lower',
      note: `bare aggregate SQL; ${(customers * resources * hours * 3).toLocaleString('en-US')} points`,
    });
  },
};

export default section;
