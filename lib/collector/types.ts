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

export type ProviderCategory = 'hyperscaler' | 'gpu_cloud' | 'general_compute' | 'self_hosted' | 'observability';

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
  count(api: string, n?: number): void;
  readonly counts: Readonly<Record<string, number>>;
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
   * The collector finished but left work for a later run (e.g. the LLM judge was
   * unavailable, so samples wait). The run is recorded partial with this reason; the
   * collector keeps its own backlog, the watermark still moves.
   */
  reportIncomplete?(reason: string): void;
}

export interface RowsOf {
  cost: CostRowInput;
  performance: PerformancePointInput;
  resource: ResourceSnapshotInput;
  application: ApplicationEvaluationInput;
}

/** Yields batches of rows for the window; throws a ProviderError subclass on failure. */
export type Collector<S, D extends DataType> = (ctx: CollectContext<S>) => AsyncIterable<RowsOf[D][]>;

export interface WindowPolicy {
  /** First window when there is no watermark yet. */
  initialLookbackMs?: number;
  /** Always re-read at least this far back (clouds restate recent costs). */
  restatementMs?: number;
}

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
  readonly windows?: { readonly [D in DataType]?: WindowPolicy };
  testConnection(ctx: { connection: Connection<S>; signal: AbortSignal; logger: Logger }): Promise<void>;
}

/**
 * Where a data type's rows go. The default writes them to the data type's table; a
 * data type that needs more (inventory diffs, restatement tombstones) plugs in its own.
 */
export interface DataSink {
  write(rows: readonly unknown[], ctx: SinkContext): Promise<number>;
  /** Called once after the collector finished (`ok`) or failed, before the watermark moves. */
  finish?(ctx: SinkContext, outcome: { ok: boolean; error?: unknown }): Promise<void>;
}

export interface SinkContext {
  readonly taskId: string;
  readonly customerId: string;
  readonly provider: string;
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
}
