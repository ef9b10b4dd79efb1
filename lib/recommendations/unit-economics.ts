import type { ApplicationConfig } from '../applications/config';
import type { Store } from '../clickhouse/client';
import { FINAL_READ_SETTINGS, selectRows } from '../clickhouse/query';
import { fromScaled, multiplyDecimals, toScaled } from '../costs/decimal';
import { toClickHouseTime } from '../time';

/** Accuracy at or above which a judged, non-hallucinated, non-toxic answer passes. */
export const DEFAULT_MIN_ACCURACY = 0.7;

export interface UnitEconomicsRow {
  application: string;
  model: string;
  requests: number;
  judged: number;
  passing: number;
  /** The application's attributed cost × this model's share of its requests; null when unknown. */
  cost: string | null;
  currency: string | null;
  cost_per_1000_requests: string | null;
  cost_per_1000_passing: string | null;
  /** How the cost was attributed, or why it is null. */
  cost_basis: string;
}

export interface UnitEconomics {
  min_accuracy: number;
  applications: UnitEconomicsRow[];
}

/** Exact a / b (b a whole number > 0), rounded half away from zero to 10 fraction digits. */
export function divideDecimal(a: string, b: number): string {
  const n = toScaled(a);
  const d = BigInt(b);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let q = abs / d;
  if ((abs % d) * 2n >= d) q += 1n;
  return fromScaled(neg ? -q : q);
}

const per1000 = (cost: string, n: number) =>
  n > 0 ? divideDecimal(multiplyDecimals(cost, '1000'), n) : null;

interface Attributed {
  cost: string | null;
  currency: string | null;
  basis: string;
}

/**
 * The cost of the resources an application names (`runs_on` in the applications file)
 * over the period: their resource-level cost rows (effective cost) when the bill has them,
 * else hourly list price × the hours the inventory saw them running.
 */
async function attributedCost(
  store: Store,
  customerId: string,
  period: { start: Date; end: Date },
  app: ApplicationConfig | undefined,
): Promise<Attributed> {
  if (!app?.runsOn || (app.runsOn.resources.length === 0 && Object.keys(app.runsOn.tags).length === 0)) {
    return {
      cost: null,
      currency: null,
      basis:
        'no cost mapping: name the resources or tags the application runs on (runs_on in the applications file)',
    };
  }
  const tagKeys = Object.keys(app.runsOn.tags).sort();
  const params = {
    customer_id: customerId,
    ids: [...app.runsOn.resources],
    tag_keys: tagKeys,
    tag_values: tagKeys.map((k) => app.runsOn?.tags[k] ?? ''),
    start: toClickHouseTime(period.start),
    end: toClickHouseTime(period.end),
  };
  const tagMatch = (col: string) =>
    `(length({tag_keys:Array(String)}) > 0 AND arrayAll((k, v) -> ${col}[k] = v, {tag_keys:Array(String)}, {tag_values:Array(String)}))`;
  const billed = await selectRows<{ currency: string; cost: string; n: string }>(
    store,
    `SELECT billing_currency AS currency, toString(sum(effective_cost)) AS cost, count() AS n
      FROM costs FINAL
      WHERE x_customer_id = {customer_id:String}
        AND charge_period_start >= {start:DateTime64(3, 'UTC')} AND charge_period_start < {end:DateTime64(3, 'UTC')}
        AND resource_id != '' AND (resource_id IN {ids:Array(String)} OR ${tagMatch('tags')})
      GROUP BY billing_currency`,
    params,
    FINAL_READ_SETTINGS,
  );
  if (billed.length > 1)
    return { cost: null, currency: null, basis: 'the mapped resources are billed in several currencies' };
  if (billed.length === 1 && billed[0]) {
    return {
      cost: billed[0].cost,
      currency: billed[0].currency,
      basis: `resource-level cost rows (${billed[0].n})`,
    };
  }
  // Output aliases differ from the inner columns: an alias would shadow its column.
  const running = await selectRows<{ currency: string; cost: string; hours: string; resources: string }>(
    store,
    `SELECT cur AS currency, toString(sum(price * h)) AS cost, toString(sum(h)) AS hours,
        toString(count()) AS resources
      FROM (
        SELECT resource_id, argMax(hourly_price, snapshot_at) AS price, any(price_currency) AS cur,
          uniqExactIf(toStartOfHour(snapshot_at), status IN ('running', 'active')) AS h
        FROM resource_snapshots FINAL
        WHERE customer_id = {customer_id:String}
          AND snapshot_at >= {start:DateTime64(3, 'UTC')} AND snapshot_at < {end:DateTime64(3, 'UTC')}
          AND (resource_id IN {ids:Array(String)} OR ${tagMatch('tags')})
          AND hourly_price IS NOT NULL
        GROUP BY resource_id)
      GROUP BY cur`,
    params,
    FINAL_READ_SETTINGS,
  );
  if (running.length > 1)
    return { cost: null, currency: null, basis: 'the mapped resources are priced in several currencies' };
  if (running.length === 1 && running[0]) {
    return {
      cost: running[0].cost,
      currency: running[0].currency,
      basis: `hourly list price × running hours seen in inventory (${running[0].hours} h over ${running[0].resources} resource(s)); no resource-level cost rows`,
    };
  }
  return {
    cost: null,
    currency: null,
    basis: 'the mapped resources have neither cost rows nor a priced inventory in the period',
  };
}

/**
 * Per application and model over a period: requests (ingested samples), judged answers,
 * passing answers (judged, not hallucinated, not toxic, accuracy ≥ minAccuracy), and the
 * cost per 1,000 of each — from the application's attributed cost shared by request count.
 */
export async function unitEconomics(
  store: Store,
  opts: {
    customerId: string;
    period: { start: Date; end: Date };
    minAccuracy?: number | undefined;
    applications: readonly ApplicationConfig[];
  },
): Promise<UnitEconomics> {
  const minAccuracy = opts.minAccuracy ?? DEFAULT_MIN_ACCURACY;
  const params = {
    customer_id: opts.customerId,
    start: toClickHouseTime(opts.period.start),
    end: toClickHouseTime(opts.period.end),
    min_accuracy: minAccuracy,
  };
  const counts = await selectRows<{
    application: string;
    model: string;
    requests: string;
    judged: string;
    passing: string;
  }>(
    store,
    `SELECT application, model, toString(sum(req)) AS requests, toString(sum(judged)) AS judged, toString(sum(pass)) AS passing
      FROM (
        SELECT application, model, count() AS req, 0 AS judged, 0 AS pass
        FROM application_samples FINAL
        WHERE customer_id = {customer_id:String}
          AND sample_ts >= {start:DateTime64(3, 'UTC')} AND sample_ts < {end:DateTime64(3, 'UTC')}
        GROUP BY application, model
        UNION ALL
        SELECT application, model, 0 AS req, countIf(status = 'evaluated') AS judged,
          countIf(status = 'evaluated' AND hallucination = 0 AND toxic = 0
            -- accuracy is Float32 (0.7 is stored as 0.6999999881): compare at 4 decimals.
            AND round(toFloat64(accuracy), 4) >= {min_accuracy:Float64}) AS pass
        FROM application_evaluations FINAL
        WHERE customer_id = {customer_id:String}
          AND sample_ts >= {start:DateTime64(3, 'UTC')} AND sample_ts < {end:DateTime64(3, 'UTC')}
        GROUP BY application, model)
      GROUP BY application, model
      ORDER BY application, model`,
    params,
    FINAL_READ_SETTINGS,
  );
  const apps = [...new Set(counts.map((c) => c.application))];
  const rows: UnitEconomicsRow[] = [];
  for (const application of apps) {
    const models = counts.filter((c) => c.application === application);
    const total = models.reduce((n, m) => n + Number(m.requests), 0);
    const cfg = opts.applications.find((a) => a.application === application);
    const att = await attributedCost(store, opts.customerId, opts.period, cfg);
    for (const m of models) {
      const requests = Number(m.requests);
      const passing = Number(m.passing);
      const cost =
        att.cost !== null && total > 0
          ? divideDecimal(multiplyDecimals(att.cost, String(requests)), total)
          : null;
      rows.push({
        application,
        model: m.model,
        requests,
        judged: Number(m.judged),
        passing,
        cost,
        currency: att.currency,
        cost_per_1000_requests: cost !== null ? per1000(cost, requests) : null,
        cost_per_1000_passing: cost !== null ? per1000(cost, passing) : null,
        cost_basis:
          att.cost === null
            ? att.basis
            : models.length > 1
              ? `${att.basis}; shared over models by request count (${requests} of ${total})`
              : att.basis,
      });
    }
  }
  return { min_accuracy: minAccuracy, applications: rows };
}
