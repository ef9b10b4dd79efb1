import { Download } from 'lucide-preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { TimeChart } from '../chart';
import { Empty, Panel, useLoad } from '../components';
import { money } from '../format';
import { useApp } from '../state';

export default function Costs() {
  const { session, period } = useApp();
  const c = session.customer;
  const [granularity, setGranularity] = useState<'day' | 'week' | 'month'>('day');
  const [type, setType] = useState<'service' | 'service_category' | 'charge_category'>('service');
  const [exportError, setExportError] = useState<unknown>(null);
  const key = JSON.stringify(period);
  const trends = useLoad(() => api.costTrends(c, 'all', period, granularity), [c, key, granularity]);
  const byType = useLoad(() => api.costByType(c, 'all', period, type, 20), [c, key, type]);
  const byRes = useLoad(() => api.costByResource(c, 'all', period, 20), [c, key]);
  const currencies = trends.data?.currencies ?? [];

  async function download() {
    setExportError(null);
    try {
      const blob = await api.costExport(c, 'all', period);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `focus-${c}.csv`;
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (e) {
      setExportError(e);
    }
  }

  return (
    <div class="grid">
      <Panel
        id="trends"
        wide
        title="Cost over time"
        loading={trends.loading}
        error={trends.error}
        onRetry={trends.reload}
        actions={
          <div class="tools">
            <select
              aria-label="Granularity"
              value={granularity}
              onChange={(e) => setGranularity((e.target as HTMLSelectElement).value as 'day')}
            >
              <option value="day">daily</option>
              <option value="week">weekly</option>
              <option value="month">monthly</option>
            </select>
            <button type="button" onClick={download}>
              <Download size={16} aria-hidden="true" /> FOCUS CSV
            </button>
          </div>
        }
      >
        {exportError ? (
          <p class="error-text" role="alert">
            Export:{' '}
            {(exportError as { routeMissing?: boolean }).routeMissing
              ? 'not available on this server.'
              : (exportError as Error).message}
          </p>
        ) : null}
        {currencies.length === 0 ? (
          <Empty title="No cost in this period.">
            Connect a provider with billing on the Providers page.
          </Empty>
        ) : (
          <TimeChart
            label="Billed cost per bucket, per currency"
            xs={(trends.data?.buckets ?? []).map((b) => Date.parse(b.start) / 1000)}
            series={currencies.map((cur) => ({
              name: cur,
              values: (trends.data?.buckets ?? []).map((b) =>
                Number(b.costs.find((x) => x.currency === cur)?.billed_cost ?? 0),
              ),
            }))}
          />
        )}
      </Panel>
      <Panel
        id="by-type"
        title="By type"
        loading={byType.loading}
        error={byType.error}
        onRetry={byType.reload}
        actions={
          <select
            aria-label="Group by"
            value={type}
            onChange={(e) => setType((e.target as HTMLSelectElement).value as 'service')}
          >
            <option value="service">service</option>
            <option value="service_category">service category</option>
            <option value="charge_category">charge category</option>
          </select>
        }
      >
        {!byType.data?.items.length ? (
          <Empty title="Nothing in this period." />
        ) : (
          <ul class="bars">
            {byType.data.items.map((s) => (
              <li key={`${s.name}-${s.currency}`}>
                <span>{s.name || '(none)'}</span>
                <span class="num">{money(s.billed_cost, s.currency)}</span>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <Panel
        id="by-resource"
        title="By resource"
        loading={byRes.loading}
        error={byRes.error}
        onRetry={byRes.reload}
      >
        {!byRes.data?.items.length ? (
          <Empty title="Nothing in this period." />
        ) : (
          <ul class="bars">
            {byRes.data.items.map((s) => (
              <li key={`${s.provider}-${s.resource_id}-${s.currency}`}>
                <span>
                  {s.resource_name || s.resource_id || '(no resource)'}{' '}
                  <span class="muted small">{s.provider}</span>
                </span>
                <span class="num">{money(s.billed_cost, s.currency)}</span>
              </li>
            ))}
          </ul>
        )}
      </Panel>
    </div>
  );
}
