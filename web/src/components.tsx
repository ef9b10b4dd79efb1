import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api/client';

/** Loads data for a panel; re-runs when a dependency changes. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A card that keeps its size while loading and says what failed. */
export function Panel(props: {
  title: string;
  wide?: boolean;
  actions?: ComponentChildren;
  loading?: boolean;
  error?: unknown;
  onRetry?: () => void;
  children?: ComponentChildren;
  id?: string;
}) {
  return (
    <section
      class={`panel${props.wide ? ' wide' : ''}`}
      aria-labelledby={props.id ? `${props.id}-h` : undefined}
      data-panel={props.id}
    >
      <header class="panel-head">
        <h2 id={props.id ? `${props.id}-h` : undefined}>{props.title}</h2>
        {props.actions}
      </header>
      {props.error ? (
        <ErrorState error={props.error} onRetry={props.onRetry} />
      ) : props.loading ? (
        <div class="skeleton" aria-busy="true">
          Loading…
        </div>
      ) : (
        props.children
      )}
    </section>
  );
}

export function ErrorState(props: { error: unknown; onRetry?: () => void }) {
  const e = props.error;
  if (e instanceof ApiError && e.routeMissing) {
    return (
      <div class="empty" data-state="not-available">
        <strong>Not available on this server.</strong>
        <p>This server does not offer this feature yet (its API answered 404). Update OptiInfra to use it.</p>
      </div>
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  return (
    <div class="empty error" role="alert" data-state="error">
      <strong>Could not load this.</strong>
      <p>{message}</p>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" data-state="empty">
      <strong>{props.title}</strong>
      {props.children && <p>{props.children}</p>}
    </div>
  );
}

export function Badge(props: { status: string }) {
  return (
    <span class={`badge b-${props.status.replace(/[^a-z_]/g, '')}`}>{props.status.replace(/_/g, ' ')}</span>
  );
}

export function Stat(props: { label: string; value: string; sub?: string; testid?: string }) {
  return (
    <div class="stat" data-testid={props.testid}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.sub && <div class="stat-sub">{props.sub}</div>}
    </div>
  );
}
