import type { z } from 'zod';
import type { Logger } from '../logger';
import type {
  ApplicationEvaluationInput,
  CostRowInput,
  PerformancePointInput,
  ResourceSnapshotInput,
} from '../schemas/rows';

export const DATA_TYPES = ['cost', 'performance', 'resource', 'application'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Table each data type's rows go to. */
export const DATA_TYPE_TABLE = {
  cost: 'costs',
  performance: 'performance_points',
  resource: 'resource_snapshots',
  application: 'application_evaluations',
} as const;

/** Start-inclusive, end-exclusive, UTC. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

export type ProviderCategory =
  | 'hyperscaler'
  | 'gpu_cloud'
  | 'general_compute'
  | 'self_hosted'
  | 'observability';

/** A customer's configured provider. `secrets` never leave the process (not logged, not returned). */
export interface Connection<S = unknown> {
  readonly id: string;
  readonly customerId: string;
  readonly provider: string;
  readonly enabled: boolean;
  readonly settings: S;
  readonly secrets: Readonly<Record<string, string>>;
  readonly source: 'builtin' | 'config' | 'database';
}

/** Counts billable provider API requests made by a run (Cost Explorer pages, …). */
export interface RequestMeter {
  /** Records `n` requests of `api` (e.g. `ce:GetCostAndUsage`) that the provider answered. */
  count(api: string, n?: number): void;
  readonly counts: Readonly<Record<string, number>>;
  /**
   * How many more requests of `api` this run may make before its connection's daily
   * budget (see `RequestBudget`) is spent; `Infinity` when no budget covers `api`.
   * Collectors check it before each billable call and stop with `RequestBudgetError`.
   */
  remaining(api: string): number;
}

/**
 * A daily cap on a connection's billable requests to one API family. Cost Explorer
 * charges $0.01 per request and per page, so an unbounded loop or schedule costs money.
 */
export interface RequestBudget {
  /** Requests whose api name starts with this prefix count (e.g. `ce:`). */
  readonly apiPrefix: string;
  /** Requests allowed per connection per UTC day. */
  readonly perDay: number;
  /** Requests a run makes at least (the estimate before any run has been recorded). */
  readonly minPerRun: number;
  /** Name in messages: `Cost Explorer`. */
  readonly label: string;
  /** The connection setting that changes `perDay`, named in skip reasons. */
  readonly setting?: string;
}

export interface CollectContext<S = unknown> {
  readonly taskId: string;
  readonly customerId: string;
  readonly provider: string;
  readonly dataType: DataType;
  readonly connection: Connection<S>;
  readonly window: TimeWindow;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Runs one provider call with capped exponential backoff and full jitter. */
  retry<T>(label: string, fn: (attempt: number) => Promise<T>): Promise<T>;
  readonly meter: RequestMeter;
  now(): Date;
  /**
   * Records a problem that did not stop this data type: one source of several failed (a
   * dcgm-exporter down, an adapter rejecting its key), or the provider flagged its answer
   * as incomplete. The rows still count and the watermark moves, but the run reads
   * `partial` and keeps the message with its errors. Optional so hand-built contexts in
   * tests need not provide it.
   */
  warn?(message: string): void;
  /**
   * Declares that the rows yielded are the provider's complete answer for facts whose
   * charge period starts in `range`. After a successful run the sink may then delete stored
   * facts of that range that the answer no longer has (restated away). Collectors that do
   * not call it never cause deletions.
   */
  complete?(range: TimeWindow): void;
}

export interface RowsOf {
  cost: CostRowInput;
  performance: PerformancePointInput;
  resource: ResourceSnapshotInput;
  application: ApplicationEvaluationInput;
}

/** Yields batches of rows for the window; throws a ProviderError subclass on failure. */
export type Collector<S, D extends DataType> = (ctx: CollectContext<S>) => AsyncIterable<RowsOf[D][]>;

export interface WindowPolicy<S = unknown> {
  /** First window when there is no watermark yet. */
  initialLookbackMs?: number;
  /** Always re-read at least this far back (clouds restate recent costs). */
  restatementMs?: number;
  /**
   * Always re-read from this point (e.g. the start of the previous month while it is not
   * final). It is the provider's own restatement horizon, so `maxBackfillMs` does not cut it.
   * `watermark` is null on a connection's first collection.
   */
  restateFrom?(now: Date, settings: S, watermark: Date | null): Date;
  /** Overrides the deployment's maxBackfillMs for this data type (how far a gap is backfilled). */
  maxBackfillMs?: number;
  /**
   * History backfill: how far back a connection's first collection of this data type reads
   * (e.g. the `history_days` setting, capped at what the source keeps). Also the least a
   * gap is backfilled, so that an interrupted backfill resumes from its watermark.
   */
  historyMs?(settings: S): number;
  /**
   * The source's oldest sample, asked on a first collection so that a backfill does not
   * query days the source never held. Null when it cannot tell.
   */
  oldestAvailable?(ctx: OldestContext<S>): Promise<Date | null>;
  /**
   * Windows longer than this are collected in consecutive chunks, the watermark moving
   * after each one (resumable), with the progress in the run's status.
   */
  chunkMs?(settings: S): number;
}

/** What `WindowPolicy.oldestAvailable` may use: the connection and the run's call helpers. */
export type OldestContext<S = unknown> = Pick<
  CollectContext<S>,
  'connection' | 'signal' | 'logger' | 'retry' | 'meter' | 'now' | 'provider'
> & { readonly since: Date };

/**
 * What a provider module exports (one folder per provider under lib/providers/).
 * Data types a provider cannot collect are simply absent from `collectors`.
 */
export interface ProviderDefinition<S = unknown> {
  readonly id: string;
  readonly displayName: string;
  readonly category: ProviderCategory;
  /** Validates a connection's `settings`; errors name the field. */
  readonly settingsSchema: z.ZodType<S>;
  readonly collectors: { readonly [D in DataType]?: Collector<S, D> };
  readonly windows?: { readonly [D in DataType]?: WindowPolicy<S> };
  /** Daily caps on billable requests, per data type (e.g. Cost Explorer for `cost`). */
  readonly requestBudgets?: { readonly [D in DataType]?: (settings: S) => RequestBudget | undefined };
  /**
   * A real, free call that proves the connection works. Receives the connection with its
   * settings already parsed by `settingsSchema` (call it through `testConnectionAsConfigured`,
   * lib/connections/settings.ts, which parses once).
   */
  testConnection(ctx: { connection: Connection<S>; signal: AbortSignal; logger: Logger }): Promise<void>;
}

/**
 * Where a data type's rows go. The default writes them to the data type's table; a
 * data type that needs more (inventory diffs, restatement tombstones) plugs in its own.
 */
export interface DataSink {
  /** Takes a batch; resolves to the rows written now (a buffering sink writes in finish). */
  write(rows: readonly unknown[], ctx: SinkContext): Promise<number>;
  /**
   * Called once after the collector finished (`ok`) or failed, before the watermark moves,
   * with the ranges the collector declared complete (`CollectContext.complete`). May resolve
   * to the number of rows it wrote itself. A rejection fails the data type.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks that write nothing themselves resolve to void
  finish?(ctx: SinkContext, outcome: SinkOutcome): Promise<number | void>;
}

export interface SinkOutcome {
  ok: boolean;
  error?: unknown;
  /** Ranges of charge-period starts the provider's answer is complete for. */
  complete?: readonly TimeWindow[];
}

export interface SinkContext {
  readonly taskId: string;
  readonly customerId: string;
  readonly provider: string;
  /** The connection collected (facts of other connections are never touched). */
  readonly connectionId?: string;
  readonly dataType: DataType;
  readonly window: TimeWindow;
  readonly startedAt: Date;
  readonly logger: Logger;
}

export interface CollectionJob {
  taskId: string;
  customerId: string;
  provider: string;
  dataTypes: DataType[];
  trigger: 'scheduled' | 'manual';
  /** ISO time the job was queued. */
  queuedAt: string;
  connectionId?: string;
  /** An explicit window (ISO) instead of the watermark's. */
  window?: { start: string; end: string };
  /** 1 for the first try; a retry of an interrupted run keeps the task id and adds one. */
  attempt?: number;
  /** What happened to the earlier attempts (shown in the run's details). */
  previousAttempts?: { attempt: number; error: string; at: string }[];
}
