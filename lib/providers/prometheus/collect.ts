import type { CollectContext, OldestContext } from '../../collector/types';
import { errorMessage, ProviderError } from '../../errors';
import type { PerformancePointInput } from '../../schemas/rows';
import {
  authHeaders,
  type PromAnswer,
  type PrometheusEndpoint,
  PrometheusQueryError,
  queryInstant,
  queryRange,
} from './client';
import type { PrometheusSettings } from './config';
import { expandQuery, firstTemplate, type ResolvedQuery } from './query';

/** Rows per yielded batch: bounded memory however large the fleet. */
const BATCH_ROWS = 5_000;
const MAX_LABELS = 32;
const MAX_LABEL_VALUE = 512;

/**
 * Records a problem that did not stop the data type: through the run (which then reads
 * `partial`) when the runner offers it, else in the log.
 */
export function reportProblem(ctx: CollectContext<unknown>, message: string): void {
  if (ctx.warn) ctx.warn(message);
  else ctx.logger.warn('collected with a problem', { problem: message });
}

export function prometheusEndpoint(
  provider: string,
  settings: PrometheusSettings,
  secrets: Readonly<Record<string, string>>,
): PrometheusEndpoint {
  return {
    provider,
    url: settings.url,
    headers: { ...settings.headers, ...authHeaders(provider, settings.auth, secrets, 'prometheus') },
    timeoutMs: settings.timeout,
  };
}

/** The step-aligned evaluation times inside [start, end): re-collecting a window hits the same instants. */
export function alignedRange(
  window: { start: Date; end: Date },
  stepMs: number,
): { startMs: number; endMs: number } | null {
  const startMs = Math.ceil(window.start.getTime() / stepMs) * stepMs;
  const endMs = Math.floor((window.end.getTime() - 1) / stepMs) * stepMs;
  return endMs >= startMs ? { startMs, endMs } : null;
}

/** Splits [start, end] into inclusive chunks of at most `maxPoints` steps each. */
export function chunkRange(
  startMs: number,
  endMs: number,
  stepMs: number,
  maxPoints: number,
): [number, number][] {
  const chunks: [number, number][] = [];
  for (let s = startMs; s <= endMs; s += maxPoints * stepMs) {
    chunks.push([s, Math.min(endMs, s + (maxPoints - 1) * stepMs)]);
  }
  return chunks;
}

export interface SeriesMapping {
  customerId: string;
  provider: string;
  taskId: string;
  region: string;
  /** Templates tried before the query's own (the connection's `prometheus.resource_id`). */
  resourceIdFirst: readonly string[];
  /** When no template applies: the fleet as one resource (the connection id). */
  fallbackResourceId: string;
  collectedAt: Date;
  window: { start: Date; end: Date };
}

/**
 * Turns one query's answer into performance points. Every label but `__name__` is kept
 * (GPU index, modelName, Hostname, pod, namespace, container …), capped in number and size.
 * Returns how many series collapsed onto another's resource and dimension, which would
 * overwrite each other in storage.
 */
export function mapAnswer(
  q: ResolvedQuery,
  answer: PromAnswer,
  m: SeriesMapping,
): { points: PerformancePointInput[]; collisions: number } {
  const points: PerformancePointInput[] = [];
  const seen = new Set<string>();
  let collisions = 0;
  const from = m.window.start.getTime();
  const to = m.window.end.getTime();
  for (const series of answer.series) {
    const resourceId =
      firstTemplate([...m.resourceIdFirst, ...q.resourceId], series.labels) ?? m.fallbackResourceId;
    const resourceName = firstTemplate(q.resourceName, series.labels) ?? resourceId;
    const dimension = firstTemplate(q.dimension, series.labels) ?? '';
    const key = `${resourceId}\u0000${dimension}`;
    if (seen.has(key)) collisions++;
    seen.add(key);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(series.labels)) {
      if (k === '__name__') continue;
      if (Object.keys(labels).length >= MAX_LABELS) break;
      labels[k] = v.slice(0, MAX_LABEL_VALUE);
    }
    const region = series.labels.region || m.region;
    for (const [ts, value] of series.samples) {
      if (ts < from || ts >= to) continue;
      points.push({
        customer_id: m.customerId,
        provider: m.provider,
        resource_id: resourceId,
        resource_name: resourceName,
        resource_type: q.resourceType,
        region,
        metric: q.metric,
        dimension,
        unit: q.unit,
        value,
        ts: new Date(ts),
        source_metric: q.sourceMetric,
        labels,
        task_id: m.taskId,
        collected_at: m.collectedAt,
      });
    }
  }
  return { points, collisions };
}

export interface PrometheusCollectOptions {
  provider: string;
  settings: PrometheusSettings;
  queries: readonly ResolvedQuery[];
  region: string;
  fallbackResourceId: string;
}

/**
 * Range-queries every resolved query over the job's window at the connection's step and
 * yields the points. A query Prometheus rejects (bad PromQL, 400/422) is reported and the
 * others go on; an unreachable or unauthorised Prometheus, or every query failing, fails
 * the data type so that its watermark stays and the window is read again next time.
 * Prometheus's `warnings` (e.g. partial answers from Thanos) are reported with the run.
 */
export async function* collectPrometheus(
  ctx: CollectContext<unknown>,
  opts: PrometheusCollectOptions,
): AsyncGenerator<PerformancePointInput[]> {
  const { settings } = opts;
  if (opts.queries.length === 0) {
    reportProblem(ctx, 'prometheus: no queries to run (every default was excluded and none were added)');
    return;
  }
  const range = alignedRange(ctx.window, settings.step);
  if (!range) {
    ctx.logger.debug('window holds no step-aligned instant; nothing to query', {
      window_start: ctx.window.start.toISOString(),
      window_end: ctx.window.end.toISOString(),
      step_ms: settings.step,
    });
    return;
  }
  const endpoint = prometheusEndpoint(opts.provider, settings, ctx.connection.secrets);
  const vars = {
    selector: settings.selector,
    stepMs: settings.step,
    scrapeIntervalMs: settings.scrape_interval,
  };
  const chunks = chunkRange(range.startMs, range.endMs, settings.step, settings.max_points_per_query);
  const rejected = new Map<string, string>();
  const warnings = new Set<string>();
  const collided = new Set<string>();
  let nonFinite = 0;
  let histograms = 0;
  const abort = new AbortController();
  const signal = AbortSignal.any([ctx.signal, abort.signal]);
  const mapping: SeriesMapping = {
    customerId: ctx.customerId,
    provider: opts.provider,
    taskId: ctx.taskId,
    region: opts.region,
    resourceIdFirst: settings.resource_id,
    fallbackResourceId: opts.fallbackResourceId,
    collectedAt: ctx.now(),
    window: ctx.window,
  };

  for (const [startMs, endMs] of chunks) {
    const pending = opts.queries.filter((q) => !rejected.has(q.id));
    const results = runBounded(pending, settings.query_concurrency, async (q) => {
      try {
        const answer = await ctx.retry(`prometheus ${q.id}`, () => {
          // Another query failed for good: stop here rather than retry into an aborted signal.
          if (signal.aborted)
            throw Object.assign(new Error('prometheus collection stopped'), { name: 'AbortError' });
          ctx.meter.count('prometheus.query_range');
          return queryRange(
            endpoint,
            { query: expandQuery(q.query, vars), startMs, endMs, stepMs: settings.step },
            signal,
          );
        });
        return { q, answer };
      } catch (err) {
        if (err instanceof PrometheusQueryError) return { q, error: err };
        abort.abort(err);
        throw err;
      }
    });
    for await (const r of results) {
      if ('error' in r) {
        rejected.set(r.q.id, errorMessage(r.error));
        continue;
      }
      for (const w of r.answer.warnings) warnings.add(`prometheus query ${r.q.id}: ${w}`);
      if (r.answer.infos.length) ctx.logger.info('prometheus info', { query: r.q.id, infos: r.answer.infos });
      nonFinite += r.answer.nonFinite;
      histograms += r.answer.histogramSeries;
      const { points, collisions } = mapAnswer(r.q, r.answer, mapping);
      if (collisions > 0) collided.add(r.q.id);
      for (let i = 0; i < points.length; i += BATCH_ROWS) yield points.slice(i, i + BATCH_ROWS);
    }
  }

  if (nonFinite > 0 || histograms > 0) {
    ctx.logger.info('prometheus samples left out', {
      non_finite_values: nonFinite,
      native_histogram_series: histograms,
    });
  }
  if (rejected.size === opts.queries.length) {
    const [id, message] = [...rejected][0] as [string, string];
    throw new ProviderError(
      opts.provider,
      'query_rejected',
      `prometheus: all ${rejected.size} queries failed; first, ${id}: ${message}`,
      false,
    );
  }
  for (const [id, message] of rejected) reportProblem(ctx, `prometheus query ${id} failed: ${message}`);
  for (const w of warnings) reportProblem(ctx, w);
  for (const id of collided) {
    reportProblem(
      ctx,
      `prometheus query ${id}: several series map to the same resource and dimension and overwrite each other; aggregate the query or give it a dimension template`,
    );
  }
}

/**
 * The oldest sample Prometheus holds since `ctx.since`, to the hour: the earliest
 * timestamp of `up` (every scrape target has one) over a subquery at one-hour resolution,
 * moved back an hour so no sample before it is missed. Null when Prometheus has none.
 */
export async function oldestPrometheusSample(
  ctx: OldestContext<unknown>,
  provider: string,
  settings: PrometheusSettings,
): Promise<Date | null> {
  const endpoint = prometheusEndpoint(provider, settings, ctx.connection.secrets);
  const nowMs = ctx.now().getTime();
  const rangeS = Math.max(3600, Math.ceil((nowMs - ctx.since.getTime()) / 1000));
  const selector = settings.selector ? `{${settings.selector}}` : '';
  const query = `min(min_over_time(timestamp(up${selector})[${rangeS}s:1h]))`;
  const answer = await ctx.retry('prometheus oldest sample', () => {
    ctx.meter.count('prometheus.query');
    return queryInstant(endpoint, { query, timeMs: nowMs }, ctx.signal);
  });
  const seconds = answer.series[0]?.samples[0]?.[1];
  if (seconds === undefined || !Number.isFinite(seconds)) return null;
  return new Date(Math.floor(seconds / 3600) * 3600 * 1000 - 3600 * 1000);
}

/** Checks that Prometheus answers and accepts our credentials. */
export async function testPrometheus(endpoint: PrometheusEndpoint, signal: AbortSignal): Promise<void> {
  const answer = await queryInstant(endpoint, { query: 'vector(1)' }, signal);
  if (answer.series[0]?.samples[0]?.[1] !== 1) {
    throw new ProviderError(
      endpoint.provider,
      'parse_error',
      'prometheus: vector(1) did not evaluate to 1',
      false,
    );
  }
}

/**
 * Runs `fn` over `items` with at most `limit` in flight and yields each result as soon as
 * it is ready (completion order), so that a big answer is written before the next arrives.
 */
export async function* runBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  type Settled = { id: number; ok: true; result: R } | { id: number; ok: false; error: unknown };
  // Settled wrappers: a failure is rethrown once, and the others still in flight never
  // turn into unhandled rejections.
  const inFlight = new Map<number, Promise<Settled>>();
  let next = 0;
  const launch = () => {
    const id = next++;
    inFlight.set(
      id,
      fn(items[id] as T).then(
        (result): Settled => ({ id, ok: true, result }),
        (error: unknown): Settled => ({ id, ok: false, error }),
      ),
    );
  };
  while (next < items.length && inFlight.size < limit) launch();
  while (inFlight.size > 0) {
    const settled = await Promise.race(inFlight.values());
    inFlight.delete(settled.id);
    if (!settled.ok) throw settled.error;
    if (next < items.length) launch();
    yield settled.result;
  }
}
