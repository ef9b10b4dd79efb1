import type { DataType } from './collector/types';

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
}

export const SCHEDULES: readonly ScheduleEntry[] = [
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
    expression: 'rate(15 minutes)',
    dataTypes: ['performance', 'resource'],
    providers: '*',
    exclude: ['local'],
    description: 'Utilisation metrics and inventory snapshots.',
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
  const [min, hour, dom, month, dow] = fields.map((f) => (f === '?' ? '*' : f)) as [string, string, string, string, string];
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
