import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { TimeChart } from '../chart';
import { Empty, Panel, useLoad } from '../components';
import { metricValue } from '../format';
import { useApp } from '../state';

export default function Performance() {
  const { session, period } = useApp();
  const c = session.customer;
  const key = JSON.stringify(period);
  const summary = useLoad(() => api.perfSummary(c, 'all', period), [c, key]);
  const metrics = summary.data?.metrics ?? [];
  const [metric, setMetric] = useState('cpu_utilization');
  const step = 'days' in period && period.days <= 7 ? 'hour' : 'day';
  const trend = useLoad(() => api.perfTrends(c, 'all', period, metric, step), [c, key, metric]);
  const t = trend.data?.trends[0];
  const selected = metrics.find((m) => m.metric === metric);
  return (
    <div class="grid">
      <Panel
        id="metric"
        wide
        title="Metric over time"
        loading={trend.loading}
        error={trend.error}
        onRetry={trend.reload}
        actions={
          <select
            aria-label="Metric"
            value={metric}
            onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}
          >
            {(metrics.length ? metrics.map((m) => m.metric) : [metric]).map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        }
      >
        {!t?.buckets.length ? (
          <Empty title="No points for this metric in this period." />
        ) : (
          <TimeChart
            label={`${metric} average per ${step}`}
            xs={t.buckets.map((b) => Date.parse(b.ts) / 1000)}
            series={[
              { name: 'avg', values: t.buckets.map((b) => b.avg) },
              { name: 'max', values: t.buckets.map((b) => b.max) },
            ]}
          />
        )}
      </Panel>
      <Panel
        id="summary"
        wide
        title="Per metric"
        loading={summary.loading}
        error={summary.error}
        onRetry={summary.reload}
      >
        {metrics.length === 0 ? (
          <Empty title="No performance data yet.">Connect a provider or wait for the first collection.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col" class="num">
                    avg
                  </th>
                  <th scope="col" class="num">
                    p95
                  </th>
                  <th scope="col" class="num">
                    max
                  </th>
                  <th scope="col">Busiest</th>
                  <th scope="col">Idlest</th>
                </tr>
              </thead>
              <tbody>
                {metrics.map((m) => (
                  <tr key={m.metric} class={m === selected ? 'selected' : ''}>
                    <td>{m.metric}</td>
                    <td class="num">{metricValue(m.avg, m.unit)}</td>
                    <td class="num">{metricValue(m.p95, m.unit)}</td>
                    <td class="num">{metricValue(m.max, m.unit)}</td>
                    <td>{m.busiest.map((r) => r.resource_name || r.resource_id).join(', ')}</td>
                    <td>{m.idlest.map((r) => r.resource_name || r.resource_id).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </div>
  );
}
