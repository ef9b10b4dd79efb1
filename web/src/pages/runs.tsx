import { Play } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Run } from '../api/client';
import { Badge, Empty, Panel, useLoad } from '../components';
import { when } from '../format';
import { useApp } from '../state';

const DONE = new Set(['succeeded', 'partial', 'failed', 'skipped']);

export default function Runs() {
  const { session } = useApp();
  const c = session.customer;
  const history = useLoad(() => api.history(c, { limit: 50 }), [c]);
  const [live, setLive] = useState<Run | { task_id: string; status: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!live || DONE.has(live.status)) return;
    const t = setTimeout(async () => {
      try {
        setLive(await api.runStatus(live.task_id));
      } catch (e) {
        setError((e as Error).message);
      }
    }, 1000);
    return () => clearTimeout(t);
  }, [live]);
  useEffect(() => {
    if (live && DONE.has(live.status)) history.reload();
  }, [live?.status]);

  async function collectNow() {
    setError(null);
    try {
      const r = await api.trigger({ customer_id: c, provider: 'all' });
      setLive({ task_id: r.task_id, status: r.status });
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div class="grid">
      <Panel
        id="runs"
        wide
        title="Collection runs"
        loading={history.loading && !history.data}
        error={history.error}
        onRetry={history.reload}
        actions={
          <button
            type="button"
            class="primary"
            onClick={collectNow}
            disabled={!!live && !DONE.has(live.status)}
          >
            <Play size={16} aria-hidden="true" /> Collect now
          </button>
        }
      >
        {live && (
          <p class="live" role="status" data-testid="live-run">
            Run {live.task_id.slice(0, 8)}: <Badge status={live.status} />
          </p>
        )}
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        {!history.data?.runs.length ? (
          <Empty title="No runs yet.">Press "Collect now", or wait for the schedule.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Status</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Started</th>
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {history.data.runs.map((r) => (
                  <tr key={r.task_id}>
                    <td>
                      {r.provider}/{r.connection_id}
                      <div class="muted small">{r.trigger}</div>
                    </td>
                    <td>
                      <Badge status={r.status} />
                    </td>
                    <td>
                      {Object.entries(r.rows_collected)
                        .map(([k, v]) => `${k} ${v}`)
                        .join(', ') || '—'}
                    </td>
                    <td>{when(r.started_at ?? r.queued_at)}</td>
                    <td class="errors">
                      {[...Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`), r.skipped_reason]
                        .filter(Boolean)
                        .join('; ') || '—'}
                    </td>
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
