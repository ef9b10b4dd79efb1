/**
 * Inventory diffing: what changed between what we knew and what a new snapshot saw.
 * Pure functions over normalised states, so the rules are testable without storage.
 */

/** The columns compared between snapshots. `created_at` is not: it is immutable for a
 * resource, and providers that derive it (boot time) jitter by milliseconds. */
export const TRACKED_COLUMNS = [
  'resource_type',
  'name',
  'status',
  'region',
  'zone',
  'sku',
  'vcpus',
  'memory_gib',
  'gpu_count',
  'gpu_model',
  'hourly_price',
  'price_currency',
] as const;

/** A resource as one snapshot saw it, in comparable text form. */
export interface ResourceState {
  readonly resourceId: string;
  readonly resourceType: string;
  readonly name: string;
  /** ClickHouse time text of the snapshot this state comes from. */
  readonly snapshotAt: string;
  /** Column → text; tags as `tags.<key>`, attributes as `attributes.<key>` (JSON text). */
  readonly fields: Readonly<Record<string, string>>;
}

export interface FieldChange {
  field: string;
  old_value: string;
  new_value: string;
}

export interface InventoryChange {
  resourceId: string;
  resourceType: string;
  name: string;
  changeType: 'created' | 'modified' | 'deleted';
  changes: FieldChange[];
  /** The snapshot the old state comes from (created: the previous snapshot). */
  previousSnapshotAt: string | null;
}

/** The values a snapshot row carries, as stored or as about to be stored. */
export interface ComparableRow {
  resource_type: string;
  name: string;
  status: string;
  region: string;
  zone: string;
  sku: string;
  vcpus: number | null;
  memory_gib: number | null;
  gpu_count: number;
  gpu_model: string;
  hourly_price: string | null;
  price_currency: string;
  tags: Readonly<Record<string, string>>;
  /** JSON object text. */
  attributes: string;
}

/** Turns a row into comparable text fields, the same way whether it came from a collector or from ClickHouse. */
export function comparableFields(row: ComparableRow): Record<string, string> {
  const fields: Record<string, string> = {
    resource_type: row.resource_type,
    name: row.name,
    status: row.status,
    region: row.region,
    zone: row.zone,
    sku: row.sku,
    vcpus: numberText(row.vcpus, true),
    memory_gib: numberText(row.memory_gib, false),
    gpu_count: String(row.gpu_count),
    gpu_model: row.gpu_model,
    hourly_price: row.hourly_price === null ? '' : canonicalDecimal(row.hourly_price),
    price_currency: row.price_currency,
  };
  for (const [k, v] of Object.entries(row.tags)) fields[`tags.${k}`] = v;
  let attributes: unknown = {};
  try {
    attributes = JSON.parse(row.attributes || '{}');
  } catch {
    attributes = {};
  }
  if (attributes && typeof attributes === 'object' && !Array.isArray(attributes)) {
    for (const [k, v] of Object.entries(attributes))
      fields[`attributes.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return fields;
}

/**
 * Compares a new snapshot with the known state of the previous ones:
 * - created: in `current`, not in `baseline`;
 * - modified: in both, with at least one tracked field different (each listed with old and new value);
 * - deleted: in `baseline`, not in `current` — only when the snapshot is complete. A
 *   resource missing from an incomplete snapshot may only be missing because a call failed.
 *
 * `baseline` is the last complete snapshot overlaid with every later (incomplete) one,
 * newest state winning, so a resource seen by a partial snapshot is neither re-reported
 * as created nor forgotten for deletion.
 */
export function diffInventory(args: {
  baseline: ReadonlyMap<string, ResourceState>;
  current: ReadonlyMap<string, ResourceState>;
  complete: boolean;
  previousSnapshotAt: string | null;
}): InventoryChange[] {
  const out: InventoryChange[] = [];
  for (const [id, cur] of args.current) {
    const prev = args.baseline.get(id);
    if (!prev) {
      out.push({
        resourceId: id,
        resourceType: cur.resourceType,
        name: cur.name,
        changeType: 'created',
        changes: [],
        previousSnapshotAt: args.previousSnapshotAt,
      });
      continue;
    }
    const changes = fieldChanges(prev.fields, cur.fields);
    if (changes.length > 0) {
      out.push({
        resourceId: id,
        resourceType: cur.resourceType,
        name: cur.name,
        changeType: 'modified',
        changes,
        previousSnapshotAt: prev.snapshotAt,
      });
    }
  }
  if (args.complete) {
    for (const [id, prev] of args.baseline) {
      if (args.current.has(id)) continue;
      out.push({
        resourceId: id,
        resourceType: prev.resourceType,
        name: prev.name,
        changeType: 'deleted',
        changes: [],
        previousSnapshotAt: prev.snapshotAt,
      });
    }
  }
  return out;
}

/**
 * Fields whose empty value means "could not be looked up", not "none": a list price comes
 * from a separate price API that may fail or not know a SKU while the resource itself was
 * seen. Going from a price to unknown (or back) is not a change of the resource; only two
 * known, different prices are.
 */
const LOOKED_UP_FIELDS: ReadonlySet<string> = new Set(['hourly_price', 'price_currency']);

export function fieldChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: FieldChange[] = [];
  for (const field of keys) {
    const oldValue = before[field] ?? '';
    const newValue = after[field] ?? '';
    if (oldValue === newValue) continue;
    if (LOOKED_UP_FIELDS.has(field) && (oldValue === '' || newValue === '')) continue;
    changes.push({ field, old_value: oldValue, new_value: newValue });
  }
  return changes;
}

function numberText(v: number | null, float32: boolean): string {
  if (v === null || v === undefined) return '';
  // A Float32 column (vcpus) reads back at float32 precision; compare at that precision.
  return float32 ? String(Number(Math.fround(v).toPrecision(7))) : String(v);
}

/** '0.0960' and '0.096' are the same price; ClickHouse prints Decimals without trailing zeros. */
export function canonicalDecimal(text: string): string {
  const t = text.trim();
  if (!/^-?\d+(\.\d+)?$/.test(t)) return t;
  let [int = '0', frac = ''] = t.replace(/^-/, '').split('.');
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const sign = t.startsWith('-') && (int !== '0' || frac !== '') ? '-' : '';
  return `${sign}${int}${frac ? `.${frac}` : ''}`;
}
