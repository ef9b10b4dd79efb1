/**
 * Kubernetes resource quantities ("7910m", "32780604Ki", "16Gi", "1.5", "2e3", "500M") as
 * plain numbers: cores for CPU, bytes for memory, counts for GPUs. Null when unparseable.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

export function parseQuantity(text: string | undefined | null): number | null {
  if (text === undefined || text === null) return null;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(
    text.trim(),
  );
  if (!m) return null;
  const factor = SUFFIX[m[2] ?? ''];
  const value = Number(m[1]) * (factor ?? 1);
  return Number.isFinite(value) ? value : null;
}
