import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Connection, DataType } from './collector/types';

/**
 * The schedule table: one EventBridge rule per entry in AWS (stacks/Collectors.ts), the
 * same entries run in-process by `npm start` (lib/local/scheduler.ts). An entry names
 * data types and which providers it covers; at each tick the dispatcher makes one job per
 * enabled connection whose provider collects at least one of those data types.
 *
 * Expressions use EventBridge syntax: `rate(15 minutes)` or `cron(min hour dom month dow year)`.
 */
export interface ScheduleEntry {
  readonly id: string;
  readonly expression: string;
  readonly dataTypes: readonly DataType[];
  /** '*' = every provider not in `exclude`; or an explicit list. */
  readonly providers: '*' | readonly string[];
  readonly exclude?: readonly string[];
  /**
   * Runs only in the local runtime: no EventBridge rule is deployed for it, so a cloud
   * deployment never wakes its dispatcher (and ClickHouse) for work that cannot exist there.
   */
  readonly localOnly?: boolean;
  readonly description: string;
  /**
   * For an entry whose cadence each connection may choose: the expression fires every
   * `tickMinutes`, and the dispatcher queues a connection only at the ticks due for its
   * interval (`settings.collection_intervals.<data type>`, else `defaultMinutes`).
   */
  readonly interval?: { readonly defaultMinutes: number; readonly tickMinutes: number };
  /**
   * A task that is not a collection: the dispatcher runs it instead of planning jobs.
   * `recommendations` evaluates customers (lib/recommendations/schedule.ts); `reap-runs` closes
   * runs whose worker died and retries their jobs (lib/collector/reaper.ts). No data types.
   */
  readonly task?: 'recommendations' | 'reap-runs';
}

/** The finest interval a connection may choose for performance and inventory collection. */
export const COLLECTION_TICK_MINUTES = 5;

export const SCHEDULES: readonly ScheduleEntry[] = [
  {
    id: 'run-reaper',
    expression: 'rate(1 minute)',
    dataTypes: [],
    providers: '*',
    task: 'reap-runs',
    description: 'Closes runs whose worker died (lease expired) and retries their jobs; runs always end.',
  },
  {
    id: 'local-machine',
    expression: 'rate(1 minute)',
    dataTypes: ['performance', 'resource', 'cost'],
    providers: ['local'],
    description: 'The machine OptiInfra runs on (local runtime only; no connection exists in AWS).',
    localOnly: true,
  },
  {
    id: 'performance',
    // Every tick; each connection is queued every 15 minutes unless it chooses otherwise.
    expression: 'cron(0/5 * * * ? *)',
    dataTypes: ['performance'],
    providers: '*',
    exclude: ['local'],
    interval: { defaultMinutes: 15, tickMinutes: COLLECTION_TICK_MINUTES },
    description:
      'Utilisation metrics, every 15 minutes per connection by default (settings.collection_intervals.performance).',
  },
  {
    id: 'resource',
    // Two minutes after the performance ticks, so the two fan-outs do not start together.
    expression: 'cron(2/5 * * * ? *)',
    dataTypes: ['resource'],
    providers: '*',
    exclude: ['local'],
    interval: { defaultMinutes: 15, tickMinutes: COLLECTION_TICK_MINUTES },
    description:
      'Inventory snapshots and change tracking, every 15 minutes per connection by default (settings.collection_intervals.resource).',
  },
  {
    id: 'cost',
    // Billing data refreshes a few times a day (AWS: up to 3x); polling more often only
    // spends Cost Explorer money on unchanged numbers.
    expression: 'cron(20 1,9,17 * * ? *)',
    dataTypes: ['cost'],
    providers: '*',
    exclude: ['local'],
    description: 'Cost and usage, re-reading each provider\u2019s restatement window.',
  },
  {
    id: 'application',
    expression: 'rate(15 minutes)',
    dataTypes: ['application'],
    // Jobs come from the samples backlog, not from connections (lib/applications/source.ts):
    // an app may run on this machine too, so 'local' is not excluded here.
    providers: '*',
    description: 'LLM answer-quality evaluation of sampled interactions, and canary probes.',
  },
  {
    id: 'recommendations',
    // Hourly: each customer is evaluated daily, and again after new inventory or
    // performance data (at most once an hour), see lib/recommendations/schedule.ts.
    expression: 'rate(1 hour)',
    dataTypes: [],
    providers: '*',
    task: 'recommendations',
    description:
      'Recommendations (idle/oversized machines, idle GPUs, orphaned storage): daily, and after new data at most hourly.',
  },
];

export function providerMatches(entry: ScheduleEntry, provider: string): boolean {
  if (entry.exclude?.includes(provider)) return false;
  return entry.providers === '*' || entry.providers.includes(provider);
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/** Milliseconds between runs for a rate() expression, or null for cron(). */
export function rateToMs(expression: string): number | null {
  const m = RATE.exec(expression);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] as string;
  return n * (unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000);
}

/**
 * Converts an EventBridge cron(...) to the 5-field form croner reads. EventBridge has a
 * year field and `?`; day-of-week 1-7 means SUN-SAT there but 0-6 in croner.
 */
export function eventBridgeCronToStandard(expression: string): string {
  const m = /^cron\((.+)\)$/.exec(expression.trim());
  if (!m) throw new Error(`not a cron() expression: ${expression}`);
  const fields = (m[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`cron() needs 6 fields: ${expression}`);
  const [min, hour, dom, month, dow] = fields.map((f) => (f === '?' ? '*' : f)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const dowStd = dow.replace(/\b([1-7])\b/g, (d) => String(Number(d) - 1));
  return `${min} ${hour} ${dom} ${month} ${dowStd}`;
}

export function isValidExpression(expression: string): boolean {
  if (rateToMs(expression) !== null) return Number(RATE.exec(expression)?.[1]) > 0;
  try {
    eventBridgeCronToStandard(expression);
    return true;
  } catch {
    return false;
  }
}

/**
 * A connection's chosen collection intervals, in minutes: a multiple of the 5-minute tick,
 * at most a day. Provider settings schemas include it as `collection_intervals`, so a bad
 * value fails the connection's runs with an error naming the field.
 */
const IntervalMinutesSchema = z
  .number()
  .int()
  .min(COLLECTION_TICK_MINUTES)
  .max(1440)
  .refine(
    (n) => n % COLLECTION_TICK_MINUTES === 0,
    `must be a multiple of ${COLLECTION_TICK_MINUTES} minutes`,
  )
  .optional();

export const CollectionIntervalsSchema = z.strictObject({
  performance: IntervalMinutesSchema,
  resource: IntervalMinutesSchema,
});

/**
 * The interval (minutes) at which `entry` collects `dataType` for `connection`: the
 * connection's own setting when valid for the entry's tick, else the entry's default.
 */
export function connectionIntervalMinutes(
  entry: ScheduleEntry,
  connection: Pick<Connection, 'settings'>,
  dataType: DataType,
): number | null {
  if (!entry.interval) return null;
  const { defaultMinutes, tickMinutes } = entry.interval;
  const raw = (connection.settings as { collection_intervals?: Record<string, unknown> } | null)
    ?.collection_intervals?.[dataType];
  const ok =
    typeof raw === 'number' &&
    Number.isInteger(raw) &&
    raw >= tickMinutes &&
    raw <= 1440 &&
    raw % tickMinutes === 0;
  return ok ? raw : defaultMinutes;
}

/**
 * Whether a connection is due at `now` for an interval of `minutes`. Stateless: the tick
 * `now` falls in is due every `minutes / tick` ticks, at a phase derived from the
 * connection's identity, so connections sharing an interval are spread over its ticks
 * instead of all starting at once (a retried or late dispatch of the same tick decides
 * the same way).
 */
export function isDue(
  entry: ScheduleEntry,
  connection: Pick<Connection, 'customerId' | 'provider' | 'id'>,
  minutes: number,
  now: Date,
): boolean {
  const tick = entry.interval?.tickMinutes ?? minutes;
  const slots = Math.max(1, Math.round(minutes / tick));
  if (slots === 1) return true;
  const tickIndex = Math.floor(now.getTime() / (tick * 60_000));
  const digest = createHash('sha256')
    .update(`${connection.customerId}/${connection.provider}/${connection.id}`)
    .digest();
  return tickIndex % slots === digest.readUInt32BE(0) % slots;
}
