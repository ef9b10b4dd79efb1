import { api, type Period, type Run } from '../api/client';
import { TimeChart } from '../chart';
import { Badge, Empty, Panel, Stat, useLoad } from '../components';
import { money, pct, rate, when } from '../format';
import { ProviderLogo } from '../logos';
import { useApp } from '../state';

function monthBounds(now = new Date()) {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return {
    thisMonth: { start: iso(new Date(Date.UTC(y, m, 1))), end: iso(new Date(Date.UTC(y, m + 1, 1))) },
    lastMonth: { start: iso(new Date(Date.UTC(y, m - 1, 1))), end: iso(new Date(Date.UTC(y, m, 1))) },
  };
}

function MonthOverMonth() {
  const { session } = useApp();
  const c = session.customer;
  const { thisMonth, lastMonth } = monthBounds();
  const r = useLoad(
    () => Promise.all([api.costTotal(c, 'all', thisMonth), api.costTotal(c, 'all', lastMonth)]),
    [c],
  );
  const [now, before] = r.data ?? [];
  const currencies = [...new Set([...(now?.currencies ?? []), ...(before?.currencies ?? [])])];
  return (
    <Panel id="month" title="This month vs last month" loading={r.loading} error={r.error} onRetry={r.reload}>
      {currencies.length === 0 ? (
        <Empty title="No cost yet.">
          Connect a provider with billing (Providers page), or set LOCAL_HOURLY_RATE.
        </Empty>
      ) : (
        <div class="stats">
          {currencies.map((cur) => {
            const a = now?.totals.find((t) => t.currency === cur)?.billed_cost ?? '0';
            const b = before?.totals.find((t) => t.currency === cur)?.billed_cost ?? '0';
            const delta = Number(b) === 0 ? null : ((Number(a) - Number(b)) / Number(b)) * 100;
            return (
              <Stat
                key={cur}
                testid={`month-${cur}`}
                label={`${cur} this month`}
                value={money(a, cur)}
                sub={`last month ${money(b, cur)}${delta === null ? '' : ` (${delta >= 0 ? '+' : ''}${delta.toFixed(1)} %)`}`}
              />
            );
          })}
        </div>
      )}
    </Panel>
  );
}

function CostByProvider(props: { period: Period }) {
  const { session } = useApp();
  const c = session.customer;
  const r = useLoad(async () => {
    const total = await api.costTotal(c, 'all', props.period);
    const providers = [...new Set(total.by_provider.map((p) => p.provider))];
    const trends = await Promise.all(providers.map((p) => api.costTrends(c, p, props.period, 'day')));
    return { total, providers, trends };
  }, [c, JSON.stringify(props.period)]);
  const d = r.data;
  // One chart, in the currency with the most spend; providers billing in it are stacked.
  const currency = [...(d?.total.totals ?? [])].sort(
    (a, b) => Number(b.billed_cost) - Number(a.billed_cost),
  )[0]?.currency;
  const inCurrency = (d?.providers ?? []).filter((p) =>
    d?.total.by_provider.some((x) => x.provider === p && x.currency === currency),
  );
  const xs = d?.trends[0]?.buckets.map((b) => Date.parse(b.start) / 1000) ?? [];
  const series =
    d && currency
      ? inCurrency.map((p) => ({
          name: p,
          values: (d.trends[d.providers.indexOf(p)]?.buckets ?? []).map((b) =>
            Number(b.costs.find((x) => x.currency === currency)?.billed_cost ?? 0),
          ),
        }))
      : [];
  return (
    <Panel
      id="cost-by-provider"
      wide
      title="Cost by provider"
      loading={r.loading}
      error={r.error}
      onRetry={r.reload}
    >
      {!d || d.total.totals.length === 0 ? (
        <Empty title="No cost in this period.">Connect a provider with billing on the Providers page.</Empty>
      ) : (
        <>
          <div class="stats">
            {d.total.totals.map((t) => (
              <Stat
                key={t.currency}
                testid={`total-${t.currency}`}
                label={`Total billed (${t.currency})`}
                value={money(t.billed_cost, t.currency)}
                sub={`effective ${money(t.effective_cost, t.currency)}`}
              />
            ))}
          </div>
          <table class="table compact" aria-label="Cost by provider">
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Currency</th>
                <th scope="col" class="num">
                  Billed
                </th>
              </tr>
            </thead>
            <tbody>
              {d.total.by_provider.map((p) => (
                <tr key={`${p.provider}-${p.currency}`} data-testid={`provider-${p.provider}-${p.currency}`}>
                  <td>
                    <ProviderLogo id={p.provider} size={16} /> {p.provider}
                  </td>
                  <td>{p.currency}</td>
                  <td class="num">{money(p.billed_cost, p.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {currency && (
            <TimeChart
              label={`Daily cost by provider in ${currency}, stacked`}
              xs={xs}
              series={series}
              stacked
            />
          )}
        </>
      )}
    </Panel>
  );
}

function TopSpend(props: { period: Period }) {
  const { session } = useApp();
  const c = session.customer;
  const r = useLoad(
    () =>
      Promise.all([
        api.costByType(c, 'all', props.period, 'service', 5),
        api.costByResource(c, 'all', props.period, 5),
      ]),
    [c, JSON.stringify(props.period)],
  );
  const [services, resources] = r.data ?? [];
  return (
    <Panel
      id="top-spend"
      title="Top services and resources"
      loading={r.loading}
      error={r.error}
      onRetry={r.reload}
    >
      {!services?.items.length ? (
        <Empty title="Nothing spent in this period." />
      ) : (
        <>
          <h3>Services</h3>
          <ul class="bars">
            {services.items.map((s) => (
              <li key={`${s.name}-${s.currency}`}>
                <span>{s.name || '(none)'}</span>
                <span class="num">{money(s.billed_cost, s.currency)}</span>
              </li>
            ))}
          </ul>
          <h3>Resources</h3>
          <ul class="bars">
            {(resources?.items ?? []).map((s) => (
              <li key={`${s.provider}-${s.resource_id}-${s.currency}`}>
                <span>{s.resource_name || s.resource_id || '(no resource)'}</span>
                <span class="num">{money(s.billed_cost, s.currency)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}

const UTIL = [
  ['cpu_utilization', 'CPU'],
  ['memory_utilization', 'Memory'],
  ['gpu_utilization', 'GPU'],
] as const;

function Utilization(props: { period: Period }) {
  const { session } = useApp();
  const c = session.customer;
  const r = useLoad(async () => {
    const list = await api.collectors(c);
    const providers = list.providers
      .filter((p) => p.configured && p.data_types.includes('performance'))
      .map((p) => p.id);
    const summaries = await Promise.all(providers.map((p) => api.perfSummary(c, p, props.period)));
    return providers.map((p, i) => ({ provider: p, summary: summaries[i] }));
  }, [c, JSON.stringify(props.period)]);
  return (
    <Panel
      id="utilization"
      title="Utilization by provider"
      loading={r.loading}
      error={r.error}
      onRetry={r.reload}
    >
      {!r.data?.length ? (
        <Empty title="No performance data yet.">Connect a provider or wait for the first collection.</Empty>
      ) : (
        <table class="table compact" aria-label="Average utilization by provider">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              {UTIL.map(([, l]) => (
                <th scope="col" class="num" key={l}>
                  {l} avg
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {r.data.map(({ provider, summary }) => (
              <tr key={provider} data-testid={`util-${provider}`}>
                <td>
                  <ProviderLogo id={provider} size={16} /> {provider}
                </td>
                {UTIL.map(([m]) => (
                  <td class="num" key={m} data-metric={m}>
                    {pct(summary?.metrics.find((x) => x.metric === m)?.avg ?? null)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function Inventory() {
  const { session } = useApp();
  const r = useLoad(() => api.resourceSummary(session.customer, 'all'), [session.customer]);
  const s = r.data;
  return (
    <Panel id="inventory" title="Inventory" loading={r.loading} error={r.error} onRetry={r.reload}>
      {!s || s.total === 0 ? (
        <Empty title="No resources seen yet.">
          Connect a provider; inventory is collected with every run.
        </Empty>
      ) : (
        <div class="stats">
          <Stat
            testid="inventory-total"
            label="Resources"
            value={String(s.total)}
            sub={Object.entries(s.by_provider)
              .map(([p, n]) => `${p} ${n}`)
              .join(' · ')}
          />
          <Stat label="vCPUs" value={String(s.compute.vcpus)} sub={`${s.compute.memory_gib} GiB memory`} />
          <Stat label="GPUs" value={String(s.gpus.total)} sub={`${s.gpus.resources_with_gpus} machines`} />
        </div>
      )}
    </Panel>
  );
}

function LlmQuality() {
  const { session } = useApp();
  const r = useLoad(() => api.appSummary(session.customer, 'all'), [session.customer]);
  const s = r.data;
  return (
    <Panel id="llm" title="LLM answer quality" loading={r.loading} error={r.error} onRetry={r.reload}>
      {!s || s.applications.length === 0 ? (
        <Empty title="No LLM interactions yet.">
          Send samples to /api/v2/applications/…/samples.
          {s && !s.evaluation.enabled ? ` ${s.evaluation.reason ?? ''}` : ''}
        </Empty>
      ) : (
        <div class="stats">
          {s.applications.slice(0, 4).map((a) => (
            <Stat
              key={`${a.application}-${a.model ?? ''}`}
              label={`${a.application}${a.model ? ` · ${a.model}` : ''}`}
              value={`${rate(a.hallucination_rate ?? null)} hallucinated`}
              sub={`${rate(a.toxicity_rate ?? null)} toxic · ${a.cost_per_1k_passing ? `${a.cost_per_1k_passing} per 1,000 passing` : 'cost per 1,000 passing: —'}`}
            />
          ))}
        </div>
      )}
    </Panel>
  );
}

function TopRecommendations() {
  const { session, navigate } = useApp();
  const r = useLoad(
    () => api.recommendations(session.customer, 'all', { state: 'open' }),
    [session.customer],
  );
  const items = [...(r.data?.recommendations ?? [])]
    .sort((a, b) => Number(b.monthly_savings) - Number(a.monthly_savings))
    .slice(0, 5);
  return (
    <Panel
      id="recommendations"
      title="Top recommendations"
      loading={r.loading}
      error={r.error}
      onRetry={r.reload}
    >
      {items.length === 0 ? (
        <Empty title="No open recommendations.">
          They appear once performance and inventory cover enough days.
        </Empty>
      ) : (
        <ul class="bars">
          {items.map((x) => (
            <li key={x.id}>
              <a
                href="/recommendations"
                onClick={(e) => {
                  e.preventDefault();
                  navigate('/recommendations');
                }}
              >
                {x.action} {x.resource.name ?? x.resource.id}
              </a>
              <span class="num">{money(x.monthly_savings, x.currency)}/mo</span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

function CollectionHealth() {
  const { session } = useApp();
  const r = useLoad(() => api.history(session.customer, { limit: 100 }), [session.customer]);
  const latest = new Map<string, Run>();
  for (const run of r.data?.runs ?? []) {
    const k = `${run.provider}/${run.connection_id}`;
    if (!latest.has(k)) latest.set(k, run);
  }
  const rank = (s: string) => (s === 'failed' ? 0 : s === 'partial' ? 1 : s === 'skipped' ? 2 : 3);
  const rows = [...latest.values()].sort((a, b) => rank(a.status) - rank(b.status));
  return (
    <Panel id="health" title="Collection health" loading={r.loading} error={r.error} onRetry={r.reload}>
      {rows.length === 0 ? (
        <Empty title="No collection has run yet." />
      ) : (
        <ul class="bars">
          {rows.map((run) => (
            <li key={run.task_id}>
              <span>
                <ProviderLogo id={run.provider} size={16} /> {run.provider}/{run.connection_id}{' '}
                <Badge status={run.status} />
              </span>
              <span class="muted">{when(run.finished_at ?? run.queued_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

export default function Overview() {
  const { period } = useApp();
  return (
    <div class="grid">
      <MonthOverMonth />
      <Inventory />
      <CostByProvider period={period} />
      <TopSpend period={period} />
      <Utilization period={period} />
      <LlmQuality />
      <TopRecommendations />
      <CollectionHealth />
    </div>
  );
}
