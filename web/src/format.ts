/** Money stays a decimal string from the API; only display rounds it. */
export function money(amount: string | null | undefined, currency: string): string {
  if (amount === null || amount === undefined) return '—';
  const n = Number(amount);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 2 }).format(
      n,
    );
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
}

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '—' : `${v.toFixed(digits)} %`;
}

export function rate(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  // ISO 8601, or ClickHouse's "YYYY-MM-DD hh:mm:ss[.fff]" (UTC) as some fields still carry it.
  const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(iso) ? `${iso.replace(' ', 'T')}Z` : iso;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(1)} ${units[i]}`;
}

export function metricValue(v: number | null | undefined, unit: string): string {
  if (unit === 'percent') return pct(v);
  if (unit === 'bytes') return bytes(v);
  if (unit === 'bytes_per_second') return `${bytes(v)}/s`;
  return v === null || v === undefined ? '—' : String(Math.round(v * 100) / 100);
}
