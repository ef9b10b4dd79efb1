import { Plus, Search } from 'lucide-preact';
import { useState } from 'preact/hooks';
import {
  ApiError,
  api,
  type CatalogProvider,
  type Connection,
  type JsonSchema,
  type ProviderCategory,
} from '../api/client';
import { Badge, Empty, ErrorState, Panel, useLoad } from '../components';
import { when } from '../format';
import { ProviderLogo } from '../logos';
import { useApp } from '../state';

const CATEGORIES: [ProviderCategory, string][] = [
  ['hyperscaler', 'Big 3'],
  ['gpu_cloud', 'GPU cloud'],
  ['general_compute', 'General compute'],
  ['self_hosted', 'Self-hosted'],
];

/** healthy / failing / never run / disabled, from a connection's health (#10). */
export function connectionStatus(c: Connection): string {
  if (!c.enabled) return 'disabled';
  const h = c.health;
  if (!h || (!h.last_success && !Object.keys(h.last_runs ?? {}).length)) return 'never_run';
  if ((h.consecutive_failures ?? 0) > 0) return 'failing';
  return 'healthy';
}

/** Fills a settings object from form text, typed by the JSON Schema. */
function coerce(schema: JsonSchema, raw: string): unknown {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (t === 'number' || t === 'integer') return raw === '' ? undefined : Number(raw);
  if (t === 'boolean') return raw === 'true';
  if (t === 'array')
    return raw === ''
      ? undefined
      : raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (t === 'object') {
    if (raw === '') return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw === '' ? undefined : raw;
}

/** Inline validation from the schema (required, enum, number bounds, pattern); the server has the last word. */
function validateField(name: string, schema: JsonSchema, raw: string, required: boolean): string | null {
  if (raw === '') return required ? `${name} is required` : null;
  const v = coerce(schema, raw);
  if ((schema.type === 'number' || schema.type === 'integer') && Number.isNaN(v as number))
    return 'must be a number';
  if (schema.minimum !== undefined && (v as number) < schema.minimum) return `must be ≥ ${schema.minimum}`;
  if (schema.maximum !== undefined && (v as number) > schema.maximum) return `must be ≤ ${schema.maximum}`;
  if (schema.enum && !schema.enum.includes(v)) return `one of ${schema.enum.join(', ')}`;
  if (schema.pattern && typeof v === 'string' && !new RegExp(schema.pattern).test(v))
    return 'has the wrong format';
  if (schema.format === 'uri' && typeof v === 'string' && !/^[a-z]+:\/\//i.test(v)) return 'must be a URL';
  return null;
}

function ConnectionForm(props: {
  provider: CatalogProvider;
  existing?: Connection;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { session } = useApp();
  const p = props.provider;
  const props_ = p.settings_schema.properties ?? {};
  const required = new Set(p.settings_schema.required ?? []);
  const [name, setName] = useState(props.existing?.name ?? '');
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      Object.entries(props_).map(([k, s]) => {
        const v = props.existing?.settings[k] ?? s.default;
        return [
          k,
          v === undefined
            ? ''
            : Array.isArray(v)
              ? v.join(', ')
              : typeof v === 'object'
                ? JSON.stringify(v)
                : String(v),
        ];
      }),
    ),
  );
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  function check(): boolean {
    const e: Record<string, string> = {};
    for (const [k, s] of Object.entries(props_)) {
      const err = validateField(k, s, values[k] ?? '', required.has(k));
      if (err) e[k] = err;
    }
    for (const f of p.secret_fields)
      if (f.required && !props.existing && !secrets[f.name]) e[`secret:${f.name}`] = `${f.label} is required`;
    setErrors(e);
    return Object.keys(e).length === 0;
  }

  async function save(e: Event) {
    e.preventDefault();
    setMessage(null);
    if (!check()) return;
    setBusy(true);
    const settings: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(props_)) {
      const v = coerce(s, values[k] ?? '');
      if (v !== undefined) settings[k] = v;
    }
    const secretValues = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== ''));
    try {
      if (props.existing) {
        await api.updateConnection(props.existing.id, {
          name: name || undefined,
          settings,
          secrets: secretValues,
        });
        const t = await api.testConnection(props.existing.id);
        setMessage({ ok: t.ok, text: t.message });
        if (t.ok) props.onDone();
      } else {
        // test: true — the server tests first and stores nothing if the test fails (422).
        await api.createConnection({
          customer_id: session.customer,
          provider: p.id,
          ...(name ? { name } : {}),
          settings,
          secrets: secretValues,
          test: true,
        });
        setMessage({ ok: true, text: 'Connection works and is saved.' });
        props.onDone();
      }
    } catch (err) {
      if (err instanceof ApiError) {
        // Put the server's error on the field it names (e.g. "body settings.region: …").
        const field = [...Object.keys(props_), ...p.secret_fields.map((f) => f.name)].find((k) =>
          new RegExp(`\\b${k}\\b`).test(err.message),
        );
        if (err.status === 400 && field) {
          const isSecret = p.secret_fields.some((f) => f.name === field);
          setErrors({ [isSecret ? `secret:${field}` : field]: err.message });
        }
        setMessage({
          ok: false,
          text: err.routeMissing
            ? 'Not available on this server: it has no connections API yet.'
            : err.message,
        });
      } else setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  const field = (id: string, label: string, input: preact.JSX.Element, help?: string) => (
    <div class="field" key={id}>
      <label for={`f-${id}`}>{label}</label>
      {input}
      {help && <div class="muted small">{help}</div>}
      {errors[id] && (
        <div class="error-text small" id={`e-${id}`}>
          {errors[id]}
        </div>
      )}
    </div>
  );

  return (
    <form class="conn-form" onSubmit={save} aria-label={`${p.display_name} connection`} noValidate>
      <h3>
        <ProviderLogo id={p.id} name={p.display_name} /> {p.display_name}
      </h3>
      {field(
        'name',
        'Name (optional)',
        <input id="f-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />,
      )}
      {Object.entries(props_).map(([k, s]) => {
        const common = {
          id: `f-${k}`,
          name: k,
          'aria-invalid': errors[k] ? true : undefined,
          'aria-describedby': errors[k] ? `e-${k}` : undefined,
        };
        const set = (v: string) => {
          setValues({ ...values, [k]: v });
          const err = validateField(k, s, v, required.has(k));
          setErrors((old) => {
            const n = { ...old };
            if (err) n[k] = err;
            else delete n[k];
            return n;
          });
        };
        const input = s.enum ? (
          <select {...common} value={values[k]} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>
            {s.enum.map((x) => (
              <option key={String(x)}>{String(x)}</option>
            ))}
          </select>
        ) : s.type === 'boolean' ? (
          <select {...common} value={values[k]} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
            <option value="">default</option>
            <option value="true">yes</option>
            <option value="false">no</option>
          </select>
        ) : (
          <input {...common} value={values[k]} onInput={(e) => set((e.target as HTMLInputElement).value)} />
        );
        return field(
          k,
          `${s.title ?? k}${required.has(k) ? ' *' : ''}`,
          input,
          s.description ?? (s.type === 'array' ? 'comma-separated' : undefined),
        );
      })}
      {p.secret_fields.map((f) =>
        field(
          `secret:${f.name}`,
          `${f.label}${f.required && !props.existing ? ' *' : ''}`,
          <input
            id={`f-secret:${f.name}`}
            name={`secret-${f.name}`}
            type="password"
            autoComplete="off"
            value={secrets[f.name] ?? ''}
            placeholder={props.existing?.secrets?.[f.name]?.set ? 'set (leave empty to keep)' : ''}
            onInput={(e) => setSecrets({ ...secrets, [f.name]: (e.target as HTMLInputElement).value })}
          />,
        ),
      )}
      {message && (
        <p class={message.ok ? 'ok-text' : 'error-text'} role="status" data-testid="connection-message">
          {message.text}
        </p>
      )}
      <div class="tools">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Testing…' : 'Test connection and save'}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AddProvider(props: { onDone: () => void; onCancel: () => void }) {
  const catalog = useLoad(() => api.providers(), []);
  const [q, setQ] = useState('');
  const [chosen, setChosen] = useState<CatalogProvider | null>(null);
  if (catalog.error) return <ErrorState error={catalog.error} onRetry={catalog.reload} />;
  if (!catalog.data) return <div class="skeleton">Loading…</div>;
  if (chosen)
    return <ConnectionForm provider={chosen} onDone={props.onDone} onCancel={() => setChosen(null)} />;
  const match = (p: CatalogProvider) =>
    !q || `${p.id} ${p.display_name}`.toLowerCase().includes(q.toLowerCase());
  return (
    <div>
      <div class="tools">
        <Search size={16} aria-hidden="true" />
        <input
          type="search"
          aria-label="Search providers"
          placeholder="Search providers"
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      {CATEGORIES.map(([cat, label]) => {
        const items = catalog.data?.providers.filter((p) => p.category === cat && match(p)) ?? [];
        if (!items.length) return null;
        return (
          <section key={cat}>
            <h3>{label}</h3>
            <ul class="provider-grid">
              {items.map((p) => (
                <li key={p.id}>
                  <button
                    type="button"
                    class="provider-tile"
                    onClick={() => setChosen(p)}
                    data-provider={p.id}
                  >
                    <ProviderLogo id={p.id} name={p.display_name} size={28} />
                    <span>{p.display_name}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

function ConnectionRow(props: { c: Connection; catalog?: CatalogProvider[]; onChange: () => void }) {
  const { c } = props;
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [purge, setPurge] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const readOnly = c.source !== 'api';
  const run = async (f: () => Promise<unknown>) => {
    setMsg(null);
    try {
      await f();
      props.onChange();
    } catch (e) {
      setMsg((e as Error).message);
    }
  };
  const provider = props.catalog?.find((p) => p.id === c.provider);
  const lastError = Object.values(c.health?.last_runs ?? {}).find((r) => r.error)?.error;
  return (
    <li class="card" data-connection={c.id}>
      <div class="card-head">
        <strong>
          <ProviderLogo id={c.provider} name={provider?.display_name} />{' '}
          {c.name || c.display_name || c.provider}
        </strong>
        <Badge status={connectionStatus(c)} />
      </div>
      <div class="muted small">
        {c.provider} · {c.source} · last sync {when(c.health?.last_success)} · next{' '}
        {when(c.health?.next_collection)}
      </div>
      {lastError && <p class="error-text small">{lastError}</p>}
      {c.health?.last_test && (
        <p class="small">
          Last test: {c.health.last_test.ok ? 'ok' : 'failed'} {when(c.health.last_test.at)}
        </p>
      )}
      {msg && (
        <p class="error-text small" role="alert">
          {msg}
        </p>
      )}
      {readOnly ? (
        <p class="muted small">
          Configured in {c.source === 'file' ? 'the connections file' : 'this build'}; change it there.
        </p>
      ) : editing && provider ? (
        <ConnectionForm
          provider={provider}
          existing={c}
          onDone={() => {
            setEditing(false);
            props.onChange();
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <div class="tools">
          <button
            type="button"
            onClick={() => run(() => api.testConnection(c.id).then((t) => setMsg(t.ok ? null : t.message)))}
          >
            Test
          </button>
          <button
            type="button"
            onClick={() => run(() => api.updateConnection(c.id, { enabled: !c.enabled }))}
          >
            {c.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" onClick={() => setEditing(true)} disabled={!provider}>
            Edit
          </button>
          <button type="button" class="danger" onClick={() => setConfirm(true)}>
            Disconnect
          </button>
        </div>
      )}
      {confirm && (
        <fieldset class="confirm">
          <legend>Disconnect</legend>
          <p>Disconnecting stops every further collection. Collected data is kept unless you purge it.</p>
          <label>
            <input
              type="checkbox"
              checked={purge}
              onChange={(e) => setPurge((e.target as HTMLInputElement).checked)}
            />{' '}
            Also delete this connection's collected data (cannot be undone)
          </label>
          <div class="tools">
            <button type="button" class="danger" onClick={() => run(() => api.deleteConnection(c.id, purge))}>
              Disconnect{purge ? ' and purge' : ''}
            </button>
            <button type="button" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      )}
    </li>
  );
}

export default function Providers() {
  const { session } = useApp();
  const c = session.customer;
  const [adding, setAdding] = useState(false);
  const conns = useLoad(() => api.connections(c), [c]);
  const catalog = useLoad(() => api.providers(), []);
  const collectors = useLoad(() => api.collectors(c), [c]);
  const alerts = useLoad(() => api.alerts(c), [c]);
  const missing = conns.error instanceof ApiError && conns.error.routeMissing;
  return (
    <div class="grid">
      <Panel
        id="connections"
        wide
        title="Connected providers"
        loading={conns.loading && !missing}
        error={missing ? undefined : conns.error}
        onRetry={conns.reload}
        actions={
          !adding && (
            <button type="button" class="primary" onClick={() => setAdding(true)}>
              <Plus size={16} aria-hidden="true" /> Add provider
            </button>
          )
        }
      >
        {adding && (
          <AddProvider
            onDone={() => {
              setAdding(false);
              conns.reload();
            }}
            onCancel={() => setAdding(false)}
          />
        )}
        {missing ? (
          <>
            <ErrorState error={conns.error} />
            {/* What this server does offer today: the configured providers from the collectors list. */}
            <ul class="cards">
              {(collectors.data?.providers ?? [])
                .filter((p) => p.configured)
                .map((p) => (
                  <li class="card" key={p.id}>
                    <div class="card-head">
                      <strong>
                        <ProviderLogo id={p.id} name={p.display_name} /> {p.display_name}
                      </strong>
                      <Badge status={p.connections.some((x) => x.enabled) ? 'enabled' : 'disabled'} />
                    </div>
                    <div class="muted small">
                      {p.connections.map((x) => `${x.id} (${x.source})`).join(', ')} ·{' '}
                      {p.data_types.join(', ')}
                    </div>
                  </li>
                ))}
            </ul>
          </>
        ) : !conns.data?.connections.length ? (
          <Empty title="No provider connected yet.">Press "Add provider" to connect one.</Empty>
        ) : (
          <ul class="cards">
            {[...conns.data.connections]
              .sort(
                (a, b) =>
                  Number(connectionStatus(a) !== 'failing') - Number(connectionStatus(b) !== 'failing'),
              )
              .map((x) => (
                <ConnectionRow key={x.id} c={x} catalog={catalog.data?.providers} onChange={conns.reload} />
              ))}
          </ul>
        )}
      </Panel>
      <Panel
        id="alerts"
        wide
        title="Alerts"
        loading={alerts.loading}
        error={alerts.error}
        onRetry={alerts.reload}
      >
        {!alerts.data?.alerts.length ? (
          <Empty title="No alerts." />
        ) : (
          <ul class="bars">
            {alerts.data.alerts.map((a, i) => (
              <li key={a.id ?? i}>
                <span>
                  <Badge status={a.state ?? 'open'} /> {a.provider ?? ''} {a.connection_id ?? ''}:{' '}
                  {a.message ?? a.last_error ?? a.kind}
                </span>
                <span class="muted small">{when(a.opened_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </Panel>
    </div>
  );
}
