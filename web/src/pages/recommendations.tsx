import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Badge, Empty, Panel, useLoad } from '../components';
import { money } from '../format';
import { useApp } from '../state';

/** CONTRACT(#12): GET /api/v2/recommendations/{c}/all, POST …/item/{id}/dismiss. */
export default function Recommendations() {
  const { session } = useApp();
  const c = session.customer;
  const [state, setState] = useState('open');
  const r = useLoad(() => api.recommendations(c, 'all', { state }), [c, state]);
  const [error, setError] = useState<string | null>(null);

  async function dismiss(id: string) {
    const reason = prompt('Why dismiss it? (optional)') ?? '';
    try {
      await api.dismissRecommendation(c, id, reason ? { reason } : {});
      r.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div class="grid">
      <Panel
        id="recs"
        wide
        title="Recommendations"
        loading={r.loading}
        error={r.error}
        onRetry={r.reload}
        actions={
          <select
            aria-label="State"
            value={state}
            onChange={(e) => setState((e.target as HTMLSelectElement).value)}
          >
            <option value="open">open</option>
            <option value="dismissed">dismissed</option>
            <option value="resolved">resolved</option>
          </select>
        }
      >
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        {!r.data?.recommendations.length ? (
          <Empty title={`No ${state} recommendations.`}>
            They appear once performance and inventory cover enough days.
          </Empty>
        ) : (
          <ul class="cards">
            {r.data.recommendations.map((x) => (
              <li key={x.id} class="card" data-testid={`rec-${x.id}`}>
                <div class="card-head">
                  <strong>
                    {x.action}: {x.resource.name ?? x.resource.id}
                  </strong>
                  <Badge status={x.state} />
                </div>
                <div class="muted">
                  {x.kind} · {x.provider} · {x.resource.type ?? ''} {x.resource.region ?? ''}
                </div>
                <div class="savings">{money(x.monthly_savings, x.currency)} per month</div>
                {x.evidence && (
                  <details>
                    <summary>Evidence</summary>
                    <pre>{JSON.stringify(x.evidence, null, 2)}</pre>
                  </details>
                )}
                {x.state === 'open' && (
                  <button type="button" onClick={() => dismiss(x.id)}>
                    Dismiss
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Panel>
    </div>
  );
}
