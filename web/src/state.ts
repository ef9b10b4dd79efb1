import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Period } from './api/client';

/** Session: the key lives in sessionStorage only (gone with the tab), never in localStorage. */
const KEY = 'optiinfra.key';
const CUSTOMER = 'optiinfra.customer';

export interface Session {
  key: string;
  customer: string;
  admin: boolean;
}

export function loadSession(): Session | null {
  const key = sessionStorage.getItem(KEY);
  const customer = sessionStorage.getItem(CUSTOMER);
  if (!key || !customer) return null;
  return { key, customer, admin: sessionStorage.getItem(`${CUSTOMER}.admin`) === '1' };
}

export function saveSession(s: Session | null) {
  if (!s) {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(CUSTOMER);
    sessionStorage.removeItem(`${CUSTOMER}.admin`);
    return;
  }
  sessionStorage.setItem(KEY, s.key);
  sessionStorage.setItem(CUSTOMER, s.customer);
  sessionStorage.setItem(`${CUSTOMER}.admin`, s.admin ? '1' : '0');
}

export interface AppState {
  session: Session;
  period: Period;
  periodLabel: string;
  setPeriod: (p: Period, label: string) => void;
  navigate: (path: string) => void;
  signOut: (message?: string) => void;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error('useApp outside the signed-in shell');
  return s;
}

/** The periods the picker offers; custom ranges go through start/end. */
export const PERIODS: { label: string; period: Period }[] = [
  { label: 'Last 7 days', period: { days: 7 } },
  { label: 'Last 30 days', period: { days: 30 } },
  { label: 'Last 90 days', period: { days: 90 } },
];
