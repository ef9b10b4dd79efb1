import { z } from 'zod';
import type { Store } from '../clickhouse/client';
import { recordRun, runFieldsOf } from '../clickhouse/repos/runs';
import { getWatermark, setWatermark } from '../clickhouse/repos/watermarks';
import type { Writer } from '../clickhouse/writer';
import { parseConnection } from '../connections/settings';
import type { ConnectionSource } from '../connections/source';
import { decideRequestBudget } from '../costs/budget';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { ProviderRegistry } from '../providers/registry';
import { createRedactor } from '../redact';
import type { CollectionRunInput, RunStatus } from '../schemas/rows';
import { HOUR_MS } from '../time';
import { DEFAULT_LEASE, type LeasePolicy, startLease } from './lease';
import { type RetryPolicy, withRetry } from './retry';
import {
  type CollectContext,
  type CollectionJob,
  type Connection,
  DATA_TYPE_TABLE,
  type DataSink,
  type DataType,
  type ProviderDefinition,
  type RequestMeter,
  type SinkContext,
  type TimeWindow,
} from './types';

export interface RunDeps {
  store: Store;
  writer: Writer;
  registry: ProviderRegistry;
  connections: ConnectionSource;
  logger: Logger;
  retry: RetryPolicy;
  /** The oldest point a window may start at, however old the watermark (bounded backfill). */
  maxBackfillMs: number;
  /** Per data type, where rows go instead of their table (see DataSink). */
  sinks?: Partial<Record<DataType, DataSink>>;
  /** Extra secrets to scrub from errors, beyond the connection's own. */
  secrets?: readonly string[];
  now?: () => Date;
  signal?: AbortSignal;
  /** Told rows written so far per data type (the CLI's progress display); never required. */
  onRows?: (dataType: DataType, rows: number) => void;
  /** A running run's lease and heartbeat (lib/collector/lease.ts); default: DEFAULT_LEASE. */
  lease?: LeasePolicy;
  /** Called with every finished run (alerts); its failure is logged, never the run's. */
  afterRun?: (job: CollectionJob, result: RunResult) => Promise<void>;
}

export interface DataTypeOutcome {
  dataType: DataType;
  ok: boolean;
  rows: number;
  window: { start: string; end: string } | null;
  error?: string;
  /** Problems that did not stop the data type (CollectContext.warn). */
  warnings?: string[];
  /** Set when the data type was not collected on purpose (request budget spent). */
  skipped?: string;
  /** Chunks of a long window (history backfill): how many were collected of how many. */
  windows?: WindowProgress;
  durationMs: number;
}

/** Progress of a window collected in chunks (WindowPolicy.chunkMs). */
export interface WindowProgress {
  done: number;
  total: number;
  /** Rows written so far. */
  points: number;
}

/** Splits [start, end) into consecutive chunks of at most `chunkMs`. */
export function chunkWindow(window: TimeWindow, chunkMs: number | undefined): TimeWindow[] {
  const span = window.end.getTime() - window.start.getTime();
  if (!chunkMs || chunkMs <= 0 || span <= chunkMs) return [window];
  const chunks: TimeWindow[] = [];
  for (let s = window.start.getTime(); s < window.end.getTime(); s += chunkMs) {
    chunks.push({ start: new Date(s), end: new Date(Math.min(s + chunkMs, window.end.getTime())) });
  }
  return chunks;
}

export interface RunResult {
  taskId: string;
  status: RunStatus;
  outcomes: DataTypeOutcome[];
  rows: Record<string, number>;
  errors: Record<string, string>;
}

const DEFAULT_LOOKBACK_MS = HOUR_MS;

/**
 * Computes the window for one data type from its watermark and the provider's policy.
 * A gap since the watermark is backfilled at most `maxBackfillMs`; the restatement
 * horizon (`restatementMs`, `restateFrom`) is always re-read, whatever the backfill limit.
 */
export function computeWindow(args: {
  now: Date;
  watermark: Date | null;
  initialLookbackMs?: number | undefined;
  restatementMs?: number | undefined;
  /** The provider's restatement horizon (WindowPolicy.restateFrom). */
  restateFrom?: Date | undefined;
  maxBackfillMs: number;
}): TimeWindow {
  const end = args.now;
  let start = args.watermark ?? new Date(end.getTime() - (args.initialLookbackMs ?? DEFAULT_LOOKBACK_MS));
  const oldest = new Date(end.getTime() - args.maxBackfillMs);
  if (start < oldest) start = oldest;
  if (args.restatementMs !== undefined) {
    const restate = new Date(Math.max(end.getTime() - args.restatementMs, oldest.getTime()));
    if (restate < start) start = restate;
  }
  if (args.restateFrom && args.restateFrom < start) start = args.restateFrom;
  if (start > end) start = end;
  return { start, end };
}

/** Counts requests per api; `limits` (api-name prefix → requests left) caps what `remaining` reports. */
/**
 * Counts a run's billable provider requests and enforces per-API-prefix limits (request
 * budgets). Exported for contexts built outside runCollection (connection tests, benches).
 */
export function createRequestMeter(): RequestMeter & { limit(prefix: string, requests: number): void } {
  const counts: Record<string, number> = {};
  const limits = new Map<string, number>();
  return {
    count(api, n = 1) {
      counts[api] = (counts[api] ?? 0) + n;
    },
    get counts() {
      return counts;
    },
    remaining(api) {
      let left = Number.POSITIVE_INFINITY;
      for (const [prefix, limit] of limits) {
        if (!api.startsWith(prefix)) continue;
        const used = Object.entries(counts)
          .filter(([name]) => name.startsWith(prefix))
          .reduce((a, [, n]) => a + n, 0);
        left = Math.min(left, Math.max(0, limit - used));
      }
      return left;
    },
    limit(prefix, requests) {
      const used = Object.entries(counts)
        .filter(([name]) => name.startsWith(prefix))
        .reduce((a, [, n]) => a + n, 0);
      limits.set(prefix, used + requests);
    },
  };
}

function tableSink(writer: Writer, dataType: DataType): DataSink {
  return { write: (rows) => writer.write(DATA_TYPE_TABLE[dataType], rows as never) };
}

/**
 * Runs one collection job: for each requested data type, the window from its watermark,
 * the provider's collector, the rows written, the watermark advanced only after the
 * write succeeded. The run is recorded as running, then succeeded | partial | failed with
 * rows per data type, redacted errors and timings. One data type failing never stops the
 * others; one that succeeded with problems it reported (`ctx.warn`) makes the run partial. Resolves with the outcome; rejects only if the run itself cannot be recorded
 * (so a queue retries the job).
 *
 * @example
 * const result = await runCollection({ taskId, customerId: 'acme', provider: 'local',
 *   dataTypes: ['performance'], trigger: 'manual', queuedAt: new Date().toISOString() }, deps);
 */
export async function runCollection(job: CollectionJob, deps: RunDeps): Promise<RunResult> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const logger = deps.logger.createChild({
    persistentKeys: { task_id: job.taskId, customer_id: job.customerId, provider: job.provider },
  });
  const meter = createRequestMeter();
  const running: CollectionRunInput = {
    ...runFieldsOf(job),
    status: 'running',
    started_at: startedAt,
  };
  const lease = startLease({
    writer: deps.writer,
    running,
    policy: deps.lease ?? DEFAULT_LEASE,
    logger,
    now,
  });
  const base: CollectionRunInput = { ...running, ...lease.fields() };
  try {
    await recordRun(deps.writer, base);
    const result = await collectAndRecord(job, deps, { base, logger, meter, startedAt, now, lease });
    await deps
      .afterRun?.(job, result)
      .catch((err: unknown) => logger.error('after-run hook failed', { error: errorMessage(err) }));
    return result;
  } finally {
    await lease.stop();
  }
}

async function collectAndRecord(
  job: CollectionJob,
  deps: RunDeps,
  run: {
    base: CollectionRunInput;
    logger: ReturnType<Logger['createChild']>;
    meter: ReturnType<typeof createRequestMeter>;
    startedAt: Date;
    now: () => Date;
    lease: { stop(): Promise<void> };
  },
): Promise<RunResult> {
  const { base, logger, meter, startedAt, now } = run;
  logger.info('collection started', { data_types: job.dataTypes, trigger: job.trigger });

  const outcomes: DataTypeOutcome[] = [];
  let connection: Connection | undefined;
  let provider: ProviderDefinition | undefined;
  let setupError: string | undefined;

  const sources = job.dataTypes.map((dt) => deps.registry.customerSource?.(dt));
  const customerDataOnly = sources.length > 0 && sources.every((s) => s !== undefined);
  provider = deps.registry.get(job.provider);
  if (customerDataOnly) {
    // Customer-brought data (application samples) needs no connection: the job names the
    // provider the customer's app runs on, which may have no collector or connection here.
    if (!sources.every((s) => s?.isProvider(job.provider))) {
      setupError = `unknown provider "${job.provider}"`;
    } else {
      provider ??= {
        id: job.provider,
        displayName: job.provider,
        category: 'self_hosted',
        settingsSchema: z.unknown(),
        collectors: {},
        testConnection: async () => {},
      };
      connection = {
        id: job.connectionId ?? '',
        customerId: job.customerId,
        provider: job.provider,
        enabled: true,
        settings: {},
        secrets: {},
        source: 'builtin',
      };
    }
  } else if (!provider) {
    setupError = `unknown provider "${job.provider}"`;
  } else {
    const candidates = await deps.connections.list({ customerId: job.customerId, provider: job.provider });
    connection = candidates.find((c) => (job.connectionId ? c.id === job.connectionId : c.enabled));
    if (!connection) {
      setupError = `no ${job.connectionId ? `connection "${job.connectionId}"` : 'enabled connection'} for provider "${job.provider}" and customer "${job.customerId}"`;
    } else {
      // The one parse of a connection's settings on its way into a run (lib/connections/settings.ts).
      const parsed = parseConnection(provider, connection);
      if (!parsed.ok) setupError = parsed.error;
      else connection = parsed.connection;
    }
  }
  const redact = createRedactor([...(deps.secrets ?? []), ...Object.values(connection?.secrets ?? {})]);

  if (setupError || !provider || !connection) {
    const message = redact(setupError ?? 'collection could not start');
    for (const dt of job.dataTypes) {
      outcomes.push({ dataType: dt, ok: false, rows: 0, window: null, error: message, durationMs: 0 });
    }
  } else {
    const progress: Record<string, WindowProgress> = {};
    // A backfill in chunks records its progress in the running run (GET .../status/{task_id}).
    const onProgress = async (dataType: DataType, p: WindowProgress) => {
      progress[dataType] = p;
      await recordRun(deps.writer, {
        ...base,
        connection_id: connection?.id ?? base.connection_id,
        details: { progress: { ...progress } },
      });
    };
    for (const dataType of job.dataTypes) {
      outcomes.push(
        await collectDataType({
          job,
          dataType,
          provider,
          connection,
          deps,
          logger,
          meter,
          redact,
          now,
          onProgress,
        }),
      );
    }
  }

  // Skipped data types (request budget spent) neither succeed nor fail; warnings make a
  // collected data type partial.
  const attempted = outcomes.filter((o) => !o.skipped);
  const ok = attempted.filter((o) => o.ok).length;
  const clean = attempted.filter((o) => o.ok && !o.warnings?.length).length;
  const status: RunStatus =
    outcomes.length > 0 && attempted.length === 0
      ? 'skipped'
      : clean === attempted.length && ok > 0
        ? 'succeeded'
        : ok > 0
          ? 'partial'
          : 'failed';
  const skippedReason = outcomes
    .filter((o) => o.skipped)
    .map((o) => `${o.dataType}: ${o.skipped}`)
    .join('; ');
  const rows = Object.fromEntries(outcomes.map((o) => [o.dataType, o.rows]));
  const errors = Object.fromEntries(
    outcomes
      .filter((o) => o.error || o.warnings?.length)
      .map((o) => [o.dataType, [o.error, ...(o.warnings ?? [])].filter(Boolean).join('; ').slice(0, 4000)]),
  );
  const windows = outcomes
    .map((o) => o.window)
    .filter((w): w is { start: string; end: string } => w !== null);
  const finishedAt = now();
  await run.lease.stop();
  await recordRun(deps.writer, {
    ...base,
    lease_until: null,
    connection_id: connection?.id ?? base.connection_id,
    status,
    rows,
    errors,
    billable_requests: { ...meter.counts },
    skipped_reason: skippedReason,
    window_start: windows.length ? windows.map((w) => w.start).sort()[0] : null,
    window_end: windows.length
      ? windows
          .map((w) => w.end)
          .sort()
          .at(-1)
      : null,
    finished_at: finishedAt,
    duration_ms: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
    details: {
      ...(job.previousAttempts?.length ? { previous_attempts: job.previousAttempts } : {}),
      data_types: Object.fromEntries(
        outcomes.map((o) => [
          o.dataType,
          {
            ok: o.ok,
            rows: o.rows,
            window: o.window,
            error: o.error ?? null,
            duration_ms: o.durationMs,
            ...(o.windows ? { windows: o.windows } : {}),
          },
        ]),
      ),
    },
  });
  logger.info('collection finished', {
    status,
    rows,
    errors,
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
  });
  return { taskId: job.taskId, status, outcomes, rows, errors };
}

async function collectDataType(args: {
  job: CollectionJob;
  dataType: DataType;
  provider: ProviderDefinition;
  connection: Connection;
  deps: RunDeps;
  logger: ReturnType<Logger['createChild']>;
  meter: ReturnType<typeof createRequestMeter>;
  redact: (s: string) => string;
  now: () => Date;
  onProgress?: (dataType: DataType, progress: WindowProgress) => Promise<void>;
}): Promise<DataTypeOutcome> {
  const { job, dataType, provider, connection, deps, meter, redact, now } = args;
  const t0 = Date.now();
  const logger = args.logger.createChild({ persistentKeys: { data_type: dataType } });
  const source = deps.registry.customerSource?.(dataType);
  const collector = (source?.collect ?? provider.collectors[dataType]) as
    | ((ctx: CollectContext) => AsyncIterable<unknown[]>)
    | undefined;
  const policy = source?.window ?? provider.windows?.[dataType];
  if (!collector) {
    return {
      dataType,
      ok: false,
      rows: 0,
      window: null,
      error: `provider "${provider.id}" does not collect ${dataType} data`,
      durationMs: 0,
    };
  }
  const key = { customerId: job.customerId, provider: job.provider, dataType };
  const signal = deps.signal ?? new AbortController().signal;
  const retry: CollectContext['retry'] = (label, fn) =>
    withRetry(fn, deps.retry, {
      signal,
      onRetry: (err, attempt, delayMs) =>
        logger.warn('provider call failed, retrying', {
          call: label,
          attempt,
          delay_ms: delayMs,
          error: redact(errorMessage(err)),
        }),
    });
  let window: TimeWindow;
  let watermark: Date | null = null;
  try {
    watermark = await getWatermark(deps.store, key);
    const at = now();
    // History backfill: a first collection reads `historyMs` back (not just the initial
    // lookback), and a gap is filled at least that far, so an interrupted backfill resumes.
    const historyMs = policy?.historyMs?.(connection.settings);
    window = job.window
      ? { start: new Date(job.window.start), end: new Date(job.window.end) }
      : computeWindow({
          now: at,
          watermark,
          initialLookbackMs: watermark === null && historyMs ? historyMs : policy?.initialLookbackMs,
          restatementMs: policy?.restatementMs,
          restateFrom: policy?.restateFrom?.(at, connection.settings, watermark),
          maxBackfillMs: Math.max(policy?.maxBackfillMs ?? deps.maxBackfillMs, historyMs ?? 0),
        });
    if (!job.window && watermark === null && historyMs && policy?.oldestAvailable) {
      const oldest = await policy.oldestAvailable({
        connection,
        signal,
        logger,
        retry,
        meter,
        now,
        provider: job.provider,
        since: window.start,
      });
      if (oldest && oldest > window.start) {
        logger.info("history starts at the source's oldest sample", { oldest: oldest.toISOString() });
        window = { start: new Date(Math.min(oldest.getTime(), window.end.getTime())), end: window.end };
      }
    }
  } catch (err) {
    return {
      dataType,
      ok: false,
      rows: 0,
      window: null,
      error: redact(errorMessage(err)),
      durationMs: Date.now() - t0,
    };
  }
  const windowIso = { start: window.start.toISOString(), end: window.end.toISOString() };

  const budget = provider.requestBudgets?.[dataType]?.(connection.settings);
  if (budget) {
    try {
      const decision = await decideRequestBudget(deps.store, {
        customerId: job.customerId,
        provider: job.provider,
        connectionId: connection.id,
        taskId: job.taskId,
        budget,
        now: now(),
      });
      if (!decision.run) {
        logger.warn('skipped: request budget', {
          reason: decision.reason,
          used: decision.used,
          estimate: decision.estimate,
        });
        return {
          dataType,
          ok: false,
          rows: 0,
          window: null,
          skipped: decision.reason,
          durationMs: Date.now() - t0,
        };
      }
      meter.limit(budget.apiPrefix, decision.remaining);
    } catch (err) {
      return {
        dataType,
        ok: false,
        rows: 0,
        window: windowIso,
        error: redact(errorMessage(err)),
        durationMs: Date.now() - t0,
      };
    }
  }
  const complete: TimeWindow[] = [];
  const sink = deps.sinks?.[dataType] ?? tableSink(deps.writer, dataType);
  const chunks = chunkWindow(window, policy?.chunkMs?.(connection.settings));
  const baseSinkCtx: SinkContext = {
    taskId: job.taskId,
    customerId: job.customerId,
    provider: job.provider,
    connectionId: connection.id,
    dataType,
    window,
    startedAt: now(),
    logger,
  };
  const warnings: string[] = [];
  const baseCtx: CollectContext = {
    taskId: job.taskId,
    customerId: job.customerId,
    provider: job.provider,
    dataType,
    connection,
    window,
    signal,
    logger,
    meter,
    now,
    warn: (message) => {
      const text = redact(message);
      logger.warn('collected with a problem', { problem: text });
      if (warnings.length < 50 && !warnings.includes(text)) warnings.push(text);
    },
    complete: (range) => complete.push({ start: range.start, end: range.end }),
    retry,
  };

  let rows = 0;
  let done = 0;
  let sinkCtx = baseSinkCtx;
  const progress = (): WindowProgress | undefined =>
    chunks.length > 1 ? { done, total: chunks.length, points: rows } : undefined;
  try {
    // One chunk unless the policy splits a long window: each chunk is collected, written
    // and its watermark moved before the next, so a run stopped mid-way resumes there.
    for (const chunk of chunks) {
      sinkCtx = { ...baseSinkCtx, window: chunk };
      complete.length = 0;
      for await (const batch of collector({ ...baseCtx, window: chunk })) {
        if (batch.length === 0) continue;
        rows += await sink.write(batch, sinkCtx);
        deps.onRows?.(dataType, rows);
      }
      const finished = await sink.finish?.(sinkCtx, { ok: true, complete });
      if (typeof finished === 'number') rows += finished;
      if (!watermark || chunk.end > watermark) watermark = chunk.end;
      await setWatermark(deps.writer, key, watermark, job.taskId);
      done++;
      const p = progress();
      if (p) {
        logger.info('backfill progress', { windows: `${p.done}/${p.total}`, points: p.points });
        await args.onProgress?.(dataType, p);
      }
    }
    const p = progress();
    return {
      dataType,
      ok: true,
      rows,
      window: windowIso,
      ...(warnings.length ? { warnings } : {}),
      ...(p ? { windows: p } : {}),
      durationMs: Date.now() - t0,
    };
  } catch (err) {
    const message = redact(errorMessage(err));
    logger.error('data type failed', { error: message, rows_written: rows });
    try {
      await sink.finish?.(sinkCtx, { ok: false, error: err });
    } catch (finishErr) {
      logger.error('sink cleanup failed', { error: redact(errorMessage(finishErr)) });
    }
    return {
      dataType,
      ok: false,
      rows,
      window: windowIso,
      error: message,
      ...(warnings.length ? { warnings } : {}),
      ...(progress() ? { windows: progress() } : {}),
      durationMs: Date.now() - t0,
    };
  }
}
