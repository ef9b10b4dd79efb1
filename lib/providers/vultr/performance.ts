import type { CollectContext, TimeWindow } from '../../collector/types';
import { mapLimit } from '../../concurrency';
import { ProviderParseError } from '../../errors';
import { metricPoint, type PointTarget, perSecond } from '../../metrics/points';
import type { PerformancePointInput } from '../../schemas/rows';
import { DAY_MS } from '../../time';
import { createCallScopes } from '../call-scopes';
import type { VultrSettings } from './config';
import { vultrApi, vultrPages } from './paging';
import type { VultrInstance } from './resource';

/** GET /v2/instances/{id}/bandwidth: bytes per UTC day, the last 30 days. */
interface BandwidthAnswer {
  bandwidth: Record<string, { incoming_bytes?: number; outgoing_bytes?: number }>;
}

/** Vultr allows 30 requests per second per IP; a few in flight stays well below. */
const CONCURRENCY = 4;

/**
 * Maps one instance's daily bandwidth to `network_in` / `network_out` points: each day
 * that overlaps the window becomes one point at the day's start, the day's bytes divided
 * by the seconds of that day elapsed at `now` (a whole day once it is over), i.e. the
 * average rate in bytes per second. Today's point is replaced by later runs as it grows.
 */
export function mapBandwidth(
  answer: BandwidthAnswer,
  target: PointTarget,
  window: TimeWindow,
  now: Date,
): PerformancePointInput[] {
  const points: PerformancePointInput[] = [];
  for (const [day, b] of Object.entries(answer.bandwidth)) {
    const start = Date.parse(`${day}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(start)) {
      throw new ProviderParseError('vultr', `bandwidth: "${day}" is not a date`);
    }
    const end = start + DAY_MS;
    if (end <= window.start.getTime() || start >= window.end.getTime()) continue;
    const seconds = (Math.min(end, now.getTime()) - start) / 1000;
    if (seconds <= 0) continue;
    const ts = new Date(start);
    const labels = { period: 'P1D' };
    if (typeof b.incoming_bytes === 'number') {
      points.push(
        metricPoint(target, 'network_in', perSecond(b.incoming_bytes, seconds), ts, {
          sourceMetric: 'bandwidth.incoming_bytes',
          labels,
        }),
      );
    }
    if (typeof b.outgoing_bytes === 'number') {
      points.push(
        metricPoint(target, 'network_out', perSecond(b.outgoing_bytes, seconds), ts, {
          sourceMetric: 'bandwidth.outgoing_bytes',
          labels,
        }),
      );
    }
  }
  return points;
}

/**
 * Vultr performance: the per-instance bandwidth the API publishes (it exposes no CPU,
 * memory or disk series). One call per instance, a few in flight; an instance whose call
 * fails after retries leaves the run incomplete without stopping the others.
 */
export async function* collectVultrPerformance(
  ctx: CollectContext<VultrSettings>,
): AsyncGenerator<PerformancePointInput[]> {
  const api = vultrApi(ctx.connection, ctx.signal);
  const scopes = createCallScopes(ctx);
  const now = ctx.now();
  const fetchPage = <R>(label: string, fn: () => Promise<R>) => scopes.attempt(label, fn);
  for await (const instances of vultrPages<VultrInstance>(api, '/instances', 'instances', fetchPage)) {
    const batches = await mapLimit(instances, CONCURRENCY, async (i) => {
      const answer = await scopes.attempt(`GET /v2/instances/${i.id}/bandwidth`, async () => {
        const a = await api.get<BandwidthAnswer>(`/instances/${encodeURIComponent(i.id)}/bandwidth`);
        if (!a.bandwidth || typeof a.bandwidth !== 'object') {
          throw new ProviderParseError(
            'vultr',
            `GET /v2/instances/${i.id}/bandwidth: "bandwidth" is missing`,
          );
        }
        return a;
      });
      if (!answer) return [];
      const target: PointTarget = {
        customerId: ctx.customerId,
        provider: 'vultr',
        resourceId: i.id,
        resourceName: i.label ?? '',
        resourceType: 'vm',
        region: i.region ?? '',
        taskId: ctx.taskId,
        collectedAt: now,
      };
      try {
        return mapBandwidth(answer, target, ctx.window, now);
      } catch (err) {
        scopes.fail(`GET /v2/instances/${i.id}/bandwidth`, err);
        return [];
      }
    });
    yield batches.flat();
  }
  scopes.finish();
}
