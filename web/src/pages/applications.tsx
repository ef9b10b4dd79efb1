import { api } from '../api/client';
import { TimeChart } from '../chart';
import { Empty, Panel, useLoad } from '../components';
import { rate } from '../format';
import { useApp } from '../state';

export default function Applications() {
  const { session } = useApp();
  const c = session.customer;
  const quality = useLoad(() => api.appQuality(c, 'all'), [c]);
  const hall = useLoad(() => api.appFlagged(c, 'all', 'hallucinations'), [c]);
  const tox = useLoad(() => api.appFlagged(c, 'all', 'toxicity'), [c]);
  const series = quality.data?.series ?? [];
  const first = series[0];
  return (
    <div class="grid">
      <Panel
        id="quality"
        wide
        title="Quality over time"
        loading={quality.loading}
        error={quality.error}
        onRetry={quality.reload}
      >
        {quality.data && !quality.data.evaluation.enabled && (
          <p class="notice">Evaluation is off: {quality.data.evaluation.reason}</p>
        )}
        {!first ? (
          <Empty title="No judged answers in this period.">
            Send interactions to /api/v2/applications/{c}/samples.
          </Empty>
        ) : (
          <TimeChart
            label="Accuracy and hallucination rate over time"
            xs={first.points.map((p) => Date.parse(p.ts) / 1000)}
            series={series.slice(0, 4).map((s) => ({
              name: `${s.application} · ${s.model}`,
              values: s.points.map((p) => p.accuracy),
            }))}
          />
        )}
      </Panel>
      {[
        { id: 'hallucinations', title: 'Flagged hallucinations', r: hall },
        { id: 'toxicity', title: 'Flagged toxic answers', r: tox },
      ].map(({ id, title, r }) => (
        <Panel
          key={id}
          id={id}
          title={`${title}${r.data ? ` (${rate(r.data.rate)} of ${r.data.evaluated})` : ''}`}
          loading={r.loading}
          error={r.error}
          onRetry={r.reload}
        >
          {!r.data?.samples.length ? (
            <Empty title="Nothing flagged." />
          ) : (
            <ul class="cards">
              {r.data.samples.map((s, i) => (
                <li class="card" key={s.sample_id ?? i}>
                  <div class="muted small">
                    {s.application} · {s.model}
                  </div>
                  <p>{s.reason}</p>
                  {s.unsupported_claims?.length ? (
                    <ul>
                      {s.unsupported_claims.map((u) => (
                        <li key={u}>{u}</li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </Panel>
      ))}
    </div>
  );
}
