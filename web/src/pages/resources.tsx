import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Badge, Empty, Panel, useLoad } from '../components';
import { money, when } from '../format';
import { ProviderLogo } from '../logos';
import { useApp } from '../state';

export default function Resources() {
  const { session, period } = useApp();
  const c = session.customer;
  const inv = useLoad(() => api.inventory(c, 'all'), [c]);
  const changes = useLoad(() => api.changes(c, 'all', period), [c, JSON.stringify(period)]);
  const [filter, setFilter] = useState({ text: '', type: '', status: '' });
  const all = inv.data?.resources ?? [];
  const types = [...new Set(all.map((r) => r.resource_type))].sort();
  const statuses = [...new Set(all.map((r) => r.status))].sort();
  const rows = all.filter(
    (r) =>
      (!filter.type || r.resource_type === filter.type) &&
      (!filter.status || r.status === filter.status) &&
      (!filter.text ||
        `${r.name} ${r.resource_id} ${r.region}`.toLowerCase().includes(filter.text.toLowerCase())),
  );
  return (
    <div class="grid">
      <Panel
        id="inventory"
        wide
        title={`Inventory${inv.data ? ` (${rows.length} of ${inv.data.total})` : ''}`}
        loading={inv.loading}
        error={inv.error}
        onRetry={inv.reload}
        actions={
          <div class="tools">
            <input
              type="search"
              aria-label="Search resources"
              placeholder="Search"
              value={filter.text}
              onInput={(e) => setFilter({ ...filter, text: (e.target as HTMLInputElement).value })}
            />
            <select
              aria-label="Type"
              value={filter.type}
              onChange={(e) => setFilter({ ...filter, type: (e.target as HTMLSelectElement).value })}
            >
              <option value="">all types</option>
              {types.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <select
              aria-label="Status"
              value={filter.status}
              onChange={(e) => setFilter({ ...filter, status: (e.target as HTMLSelectElement).value })}
            >
              <option value="">all statuses</option>
              {statuses.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </div>
        }
      >
        {all.length === 0 ? (
          <Empty title="No resources seen yet.">
            Connect a provider; inventory is collected with every run.
          </Empty>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Region</th>
                  <th scope="col">Size</th>
                  <th scope="col" class="num">
                    Hourly
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={`${r.provider}-${r.resource_id}`}>
                    <td>
                      <ProviderLogo id={r.provider} size={16} /> {r.name || r.resource_id}
                    </td>
                    <td>{r.resource_type}</td>
                    <td>
                      <Badge status={r.status} />
                    </td>
                    <td>{r.region}</td>
                    <td>
                      {[
                        r.vcpus ? `${r.vcpus} vCPU` : '',
                        r.memory_gib ? `${r.memory_gib} GiB` : '',
                        r.gpu_count ? `${r.gpu_count}× ${r.gpu_model}` : '',
                      ]
                        .filter(Boolean)
                        .join(' · ') || r.sku}
                    </td>
                    <td class="num">
                      {r.hourly_price ? money(r.hourly_price, r.price_currency ?? 'USD') : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <Panel
        id="changes"
        wide
        title="Changes"
        loading={changes.loading}
        error={changes.error}
        onRetry={changes.reload}
      >
        {!changes.data?.changes.length ? (
          <Empty title="No changes in this period." />
        ) : (
          <ol class="timeline">
            {changes.data.changes.map((ch) => (
              <li key={`${ch.resource_id}-${ch.snapshot_at}`}>
                <div>
                  <Badge status={ch.change_type} /> <strong>{ch.name || ch.resource_id}</strong>{' '}
                  <span class="muted">{ch.resource_type}</span>
                  <span class="muted small"> {when(ch.snapshot_at)}</span>
                </div>
                {ch.changes.length > 0 && (
                  <ul>
                    {ch.changes.map((f) => (
                      <li key={f.field}>
                        <code>{f.field}</code>: {f.old_value || '∅'} → {f.new_value || '∅'}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        )}
      </Panel>
    </div>
  );
}
