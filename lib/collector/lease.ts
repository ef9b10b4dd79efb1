import { recordRun } from '../clickhouse/repos/runs';
import type { Writer } from '../clickhouse/writer';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { CollectionRunInput } from '../schemas/rows';

/**
 * How long a running run may go without news from its worker: the worker's time limit
 * plus a margin. Heartbeats renew it every `heartbeatMs` for runs that take longer.
 */
export interface LeasePolicy {
  ms: number;
  heartbeatMs: number;
}

/** The default lease: the worker Lambda's 300 s limit plus a minute (stacks/Collectors.ts). */
export const DEFAULT_LEASE: LeasePolicy = { ms: 360_000, heartbeatMs: 60_000 };

export interface Lease {
  /** The fields a running record carries (lease_until set from now). */
  fields(): Pick<CollectionRunInput, 'lease_until'>;
  /** Stops renewing; resolves once a renewal in flight has been written (so the next write wins). */
  stop(): Promise<void>;
}

/**
 * Renews a running run's lease every `heartbeatMs` by re-recording its running state with a
 * later `lease_until`. A renewal that fails is logged and retried at the next beat; the
 * run's own final write comes after `stop()` resolves, so a heartbeat never overwrites it.
 */
export function startLease(args: {
  writer: Writer;
  running: CollectionRunInput;
  policy: LeasePolicy;
  logger: Logger;
  now: () => Date;
}): Lease {
  const { writer, running, policy, logger, now } = args;
  const fields = () => ({ lease_until: new Date(now().getTime() + policy.ms) });
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    inFlight = inFlight
      .then(() => (stopped ? undefined : recordRun(writer, { ...running, ...fields() })))
      .catch((err: unknown) => logger.warn('lease renewal failed', { error: errorMessage(err) }));
  }, policy.heartbeatMs);
  timer.unref();
  return {
    fields,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
