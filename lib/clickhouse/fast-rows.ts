import { CUSTOMER_ID_PATTERN } from '../config/schema';
import type { TableName } from '../schemas/rows';

/**
 * Compiled checks for the writer's hot table (issue #14: zod on every row made the writer
 * ~0.5× a bare insert). A fast check accepts only rows whose every field already has its
 * final form — strings, finite numbers, canonical ClickHouse time text — and returns
 * exactly what the zod schema (lib/schemas/rows.ts) would return for them: the same keys,
 * defaults filled, unknown keys dropped. Anything else returns undefined and the writer
 * asks the zod schema, which either transforms the row or names what is wrong with it. So
 * the fast path can only be narrower than the schema, never wider
 * (tests/unit/fast-rows.test.ts checks the outputs are equal).
 */

const PROVIDER = /^[a-z0-9_-]{1,32}$/;
const METRIC = /^[a-z0-9_.]{1,64}$/;
const CH_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?$/;
const MAX_TEXT = 16_384;

/** Canonical ClickHouse time text of a real instant (what the `time` schema passes through unchanged). */
function isCanonicalTime(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = CH_TIME.exec(v);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (Number(m[4]) >= 24 || Number(m[5]) >= 60 || Number(m[6]) >= 60) return false;
  const back = new Date(Date.UTC(y, mo - 1, d));
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1;
}

/** A text column: absent means '' (the schema's default). Undefined result: not fast-checkable. */
function text(v: unknown): string | undefined {
  if (v === undefined) return '';
  return typeof v === 'string' && v.length <= MAX_TEXT ? v : undefined;
}

function labels(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (
    v === null ||
    typeof v !== 'object' ||
    Array.isArray(v) ||
    Object.getPrototypeOf(v) !== Object.prototype
  ) {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return undefined;
    out[k] = x;
  }
  return out;
}

function performancePoint(row: unknown): Record<string, unknown> | undefined {
  if (row === null || typeof row !== 'object') return undefined;
  const r = row as Record<string, unknown>;
  const { customer_id, provider, resource_id, metric, unit, value, ts, collected_at, version } = r;
  if (typeof customer_id !== 'string' || !CUSTOMER_ID_PATTERN.test(customer_id)) return undefined;
  if (typeof provider !== 'string' || !PROVIDER.test(provider)) return undefined;
  if (typeof resource_id !== 'string' || resource_id.length === 0) return undefined;
  if (typeof metric !== 'string' || !METRIC.test(metric)) return undefined;
  if (typeof unit !== 'string' || unit.length === 0) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (!isCanonicalTime(ts) || !isCanonicalTime(collected_at)) return undefined;
  if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version >= 0)) {
    return undefined;
  }
  const resource_name = text(r.resource_name);
  const resource_type = text(r.resource_type);
  const region = text(r.region);
  const dimension = text(r.dimension);
  const source_metric = text(r.source_metric);
  const task_id = text(r.task_id);
  const l = labels(r.labels);
  if (
    resource_name === undefined ||
    resource_type === undefined ||
    region === undefined ||
    dimension === undefined ||
    source_metric === undefined ||
    task_id === undefined ||
    l === undefined
  ) {
    return undefined;
  }
  const out: Record<string, unknown> = {
    customer_id,
    provider,
    resource_id,
    resource_name,
    resource_type,
    region,
    metric,
    dimension,
    unit,
    value,
    ts,
    source_metric,
    labels: l,
    task_id,
    collected_at,
  };
  if (version !== undefined) out.version = version;
  return out;
}

/** Fast checks by table; tables without one always go through their zod schema. */
export const FAST_ROWS: Partial<Record<TableName, (row: unknown) => Record<string, unknown> | undefined>> = {
  performance_points: performancePoint,
};
