import { randomUUID } from 'node:crypto';
import type { CollectionJob } from '../collector/types';
import type { CustomerDataSource } from '../providers/registry';
import { type ApplicationCollectorDeps, createApplicationCollector } from './collector';
import type { ApplicationConfig } from './config';
import { pendingCounts } from './samples';

export interface ApplicationSourceDeps extends ApplicationCollectorDeps {
  /** How far back waiting samples are still evaluated (MAX_BACKFILL_HOURS). */
  backlogMs: number;
  isProvider(id: string): boolean;
}

/**
 * Application evaluation as a customer-data source of the collection pipeline: jobs are
 * customer x provider-the-app-runs-on, planned from the backlog (samples waiting for the
 * judge) and from configured probes, and run by runCollection like any other job, so
 * they are queued, retried and recorded in collection_runs the same way.
 */
export function createApplicationSource(deps: ApplicationSourceDeps): CustomerDataSource<'application'> {
  return {
    dataType: 'application',
    collect: createApplicationCollector(deps),
    // Every run looks at the whole backlog horizon, not only since the last run: a sample
    // that waited through a judge outage is still picked up.
    window: { initialLookbackMs: deps.backlogMs, restatementMs: deps.backlogMs },
    isProvider: deps.isProvider,
    async planJobs({ trigger, now, customerId, providers }) {
      const pairs = new Map<string, { customerId: string; provider: string }>();
      const add = (c: string, p: string) => pairs.set(`${c}\u0000${p}`, { customerId: c, provider: p });
      if (customerId && providers) {
        // The caller named the providers: a job each, even with nothing waiting, so the
        // run record answers "did it run?".
        for (const p of providers) add(customerId, p);
      } else {
        if (deps.judge) {
          const counts = await pendingCounts(deps.store, {
            customerId,
            since: new Date(now.getTime() - deps.backlogMs),
            until: now,
            sampling: deps.sampling,
            maxAttempts: deps.maxAttempts,
          });
          for (const r of counts) if (r.pending > 0) add(r.customer_id, r.provider);
        }
        for (const app of probed(deps.configs, customerId)) add(app.customerId, app.provider);
      }
      return [...pairs.values()].map(
        (p): CollectionJob => ({
          taskId: randomUUID(),
          customerId: p.customerId,
          provider: p.provider,
          dataTypes: ['application'],
          trigger,
          queuedAt: now.toISOString(),
        }),
      );
    },
  };
}

function probed(configs: readonly ApplicationConfig[], customerId: string | undefined) {
  return configs.filter((c) => c.probe && (!customerId || c.customerId === customerId));
}
