import {
  Activity,
  BarChart3,
  Boxes,
  Cloud,
  Gauge,
  History,
  LayoutDashboard,
  Lightbulb,
  LogOut,
  MessageSquareText,
} from 'lucide-preact';
import { render } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, configureClient, type Period } from './api/client';
import { AppContext, type AppState, loadSession, PERIODS, type Session, saveSession } from './state';
import './styles.css';

/** One chunk per page: the first load carries only the shell and the page opened. */
const PAGES = {
  '/': { title: 'Overview', icon: LayoutDashboard, page: lazy(() => import('./pages/overview')) },
  '/providers': { title: 'Providers', icon: Cloud, page: lazy(() => import('./pages/providers')) },
  '/costs': { title: 'Costs', icon: BarChart3, page: lazy(() => import('./pages/costs')) },
  '/performance': { title: 'Performance', icon: Gauge, page: lazy(() => import('./pages/performance')) },
  '/resources': { title: 'Resources', icon: Boxes, page: lazy(() => import('./pages/resources')) },
  '/applications': {
    title: 'Applications',
    icon: MessageSquareText,
    page: lazy(() => import('./pages/applications')),
  },
  '/recommendations': {
    title: 'Recommendations',
    icon: Lightbulb,
    page: lazy(() => import('./pages/recommendations')),
  },
  '/runs': { title: 'Runs', icon: History, page: lazy(() => import('./pages/runs')) },
} as const;
type Route = keyof typeof PAGES;

function usePath(): [string, (p: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return [
    path,
    (p: string) => {
      if (p !== location.pathname) history.pushState(null, '', p);
      setPath(p);
      scrollTo(0, 0);
    },
  ];
}

function SignIn(props: { message: string | null; onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [customer, setCustomer] = useState('');
  const [needCustomer, setNeedCustomer] = useState(false);
  const [error, setError] = useState<string | null>(props.message);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    configureClient({ key: key.trim() });
    try {
      // Without a customer id the collectors list answers for the key's own customer, or
      // null for an admin key, which then names the customer to open.
      const probe = await api.collectors('').catch((err: unknown) => {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403))
          throw new Error('This key was refused. Check it and try again.');
        throw err;
      });
      let who = probe.customer_id;
      const admin = who === null;
      if (admin) {
        if (!customer.trim()) {
          setNeedCustomer(true);
          throw new Error('This is an admin key: name the customer to open.');
        }
        who = (await api.collectors(customer.trim())).customer_id;
      }
      props.onSignedIn({ key: key.trim(), customer: who as string, admin });
    } catch (err) {
      configureClient({ key: null });
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form onSubmit={submit} class="panel" aria-labelledby="signin-h">
        <h1 id="signin-h">OptiInfra</h1>
        <p class="muted">
          Sign in with an API key. <code>npm start</code> prints where the local admin key is kept.
        </p>
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        <label>
          API key
          <input
            name="key"
            type="password"
            autoComplete="off"
            required
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Customer {needCustomer ? '(required for an admin key)' : '(admin keys only)'}
          <input
            name="customer"
            value={customer}
            placeholder="default"
            onInput={(e) => setCustomer((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const [message, setMessage] = useState<string | null>(null);
  const [period, setPeriodState] = useState<{ period: Period; label: string }>({
    period: { days: 30 },
    label: 'Last 30 days',
  });
  const [path, navigate] = usePath();

  const signOut = (msg?: string) => {
    saveSession(null);
    configureClient({ key: null });
    setMessage(msg ?? null);
    setSession(null);
  };
  configureClient({ key: session?.key ?? null, onAuthLost: (m) => signOut(m) });

  const state: AppState | null = useMemo(
    () =>
      session
        ? {
            session,
            period: period.period,
            periodLabel: period.label,
            setPeriod: (p, label) => setPeriodState({ period: p, label }),
            navigate,
            signOut,
          }
        : null,
    [session, period, navigate],
  );

  if (!session || !state) {
    return (
      <SignIn
        message={message}
        onSignedIn={(s) => {
          saveSession(s);
          setMessage(null);
          setSession(s);
        }}
      />
    );
  }
  const route: Route = (path in PAGES ? path : '/') as Route;
  const Page = PAGES[route].page;
  return (
    <AppContext.Provider value={state}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="shell">
        <nav class="sidebar" aria-label="Pages">
          <div class="brand">
            <Activity size={20} aria-hidden="true" /> OptiInfra
          </div>
          <ul>
            {(Object.keys(PAGES) as Route[]).map((p) => {
              const Icon = PAGES[p].icon;
              return (
                <li key={p}>
                  <a
                    href={p}
                    aria-current={p === route ? 'page' : undefined}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(p);
                    }}
                  >
                    <Icon size={18} aria-hidden="true" />
                    <span>{PAGES[p].title}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <div class="content">
          <header class="topbar">
            <h1>{PAGES[route].title}</h1>
            <div class="topbar-tools">
              <label class="period">
                <span class="sr-only">Period</span>
                <select
                  aria-label="Period"
                  value={state.periodLabel}
                  onChange={(e) => {
                    const p = PERIODS.find((x) => x.label === (e.target as HTMLSelectElement).value);
                    if (p) state.setPeriod(p.period, p.label);
                  }}
                >
                  {PERIODS.map((p) => (
                    <option key={p.label}>{p.label}</option>
                  ))}
                </select>
              </label>
              <span class="customer" title="Customer">
                {session.customer}
                {session.admin ? ' (admin)' : ''}
              </span>
              <button type="button" class="icon-button" onClick={() => signOut()} aria-label="Sign out">
                <LogOut size={18} aria-hidden="true" />
                <span class="hide-narrow">Sign out</span>
              </button>
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            <Suspense fallback={<div class="skeleton">Loading…</div>}>
              <Page />
            </Suspense>
          </main>
        </div>
      </div>
    </AppContext.Provider>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
