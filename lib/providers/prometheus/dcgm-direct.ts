import type { CollectContext } from '../../collector/types';
import { errorMessage, ProviderError } from '../../errors';
import type { PerformancePointInput } from '../../schemas/rows';
import { authHeaders, describe } from './client';
import { reportProblem, runBounded } from './collect';
import type { DcgmSettings } from './config';
import { DCGM_FIELDS, mapDcgmSamples } from './dcgm';
import { type ParsedExposition, scrapeMetrics } from './exposition';

const SCRAPE_CONCURRENCY = 8;

/**
 * Reads GPU metrics straight from dcgm-exporter `/metrics` endpoints (no Prometheus in
 * between): one reading per endpoint, at collection time. An endpoint that is down,
 * missing or not a dcgm-exporter is reported with the run and the others go on; only
 * when DCGM is the connection's sole source and every endpoint failed does the data type fail.
 */
export async function* collectDcgmDirect(
  ctx: CollectContext<unknown>,
  opts: { provider: string; settings: DcgmSettings; region: string; soleSource: boolean },
): AsyncGenerator<PerformancePointInput[]> {
  const headers = authHeaders(opts.provider, opts.settings.auth, ctx.connection.secrets, 'dcgm');
  const failures: string[] = [];
  const results = runBounded(opts.settings.urls, SCRAPE_CONCURRENCY, async (url) => {
    try {
      const parsed = await ctx.retry(`dcgm ${describe(url)}`, () =>
        scrapeMetrics(opts.provider, url, { headers, timeoutMs: opts.settings.timeout, signal: ctx.signal }),
      );
      return { url, parsed, scrapedAt: ctx.now() };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return { url, error: errorMessage(err) };
    }
  });
  for await (const r of results) {
    const where = `dcgm ${describe(r.url)}`;
    if ('error' in r) {
      failures.push(`${where}: ${r.error}`);
      continue;
    }
    const parsed = r.parsed as ParsedExposition;
    const dcgmSamples = parsed.samples.filter((s) => s.name in DCGM_FIELDS);
    if (dcgmSamples.length === 0) {
      failures.push(
        `${where}: answered, but exposes none of the DCGM_FI_* metrics we read (is this a dcgm-exporter?)`,
      );
      continue;
    }
    if (parsed.nonFinite > 0) {
      ctx.logger.info('dcgm values left out', {
        endpoint: describe(r.url),
        non_finite_values: parsed.nonFinite,
      });
    }
    yield mapDcgmSamples(dcgmSamples, {
      customerId: ctx.customerId,
      provider: opts.provider,
      endpointHost: new URL(r.url).hostname,
      region: opts.region,
      scrapedAt: r.scrapedAt,
      taskId: ctx.taskId,
    });
  }
  if (failures.length === opts.settings.urls.length && opts.soleSource) {
    throw new ProviderError(opts.provider, 'unavailable', `no GPU metrics: ${failures.join('; ')}`, false);
  }
  for (const f of failures) reportProblem(ctx, `${f} (GPU metrics from this endpoint skipped)`);
}
