import { DisksClient, InstancesClient, MachineTypesClient, type protos } from '@google-cloud/compute';
import type { CollectContext } from '../../collector/types';
import type { ResourceSnapshotInput } from '../../schemas/rows';
import { type CallScopes, createCallScopes } from '../call-scopes';
import { classifyGcpError } from './api-errors';
import { gaxClientOptions } from './clients';
import type { GcpSettings } from './config';
import { zoneToRegion } from './performance';
import { type ComputePriceTable, createComputePrices, machineHourlyPrice } from './prices';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Disk = protos.google.cloud.compute.v1.IDisk;

export interface MachineShape {
  vcpus: number | null;
  memoryGib: number | null;
  /** Whole MiB as the API gives them, for exact prices per GiB. */
  memoryMb: number | null;
  /** Shared-core (E2 micro/small/medium, f1, g1): billed for a fraction of a vCPU. */
  sharedCpu: boolean;
  gpus: { model: string; count: number }[];
}

interface RowBase {
  customer_id: string;
  provider: 'gcp';
  snapshot_at: Date;
  task_id: string;
}

/** Scope warnings that mean "nothing here", not "could not look". */
const EMPTY_SCOPE_WARNINGS = new Set(['NO_RESULTS_ON_PAGE']);

/** The last segment of a Compute resource URL. */
export const lastSegment = (url: string | null | undefined): string => (url ?? '').split('/').pop() ?? '';

/** GCE lifecycle → the normalized VM status (TERMINATED is a stopped VM in GCE terms). */
export function gceStatus(status: string | null | undefined): string {
  switch (status) {
    case 'PROVISIONING':
    case 'STAGING':
    case 'REPAIRING':
      return 'pending';
    case 'RUNNING':
      return 'running';
    case 'STOPPING':
    case 'SUSPENDING':
      return 'stopping';
    case 'TERMINATED':
    case 'STOPPED':
    case 'SUSPENDED':
      return 'stopped';
    default:
      return (status ?? 'unknown').toLowerCase();
  }
}

/** Custom machine types encode their shape: [family-]custom-<vCPUs>-<MiB>[-ext]. */
export function parseCustomMachineType(name: string): MachineShape | null {
  const m = /(?:^|-)custom-(\d+)-(\d+)(?:-ext)?$/.exec(name);
  if (!m) return null;
  return {
    vcpus: Number(m[1]),
    memoryGib: Number(m[2]) / 1024,
    memoryMb: Number(m[2]),
    sharedCpu: false,
    gpus: [],
  };
}

/** The instance's GPUs: its attached accelerators, else those its machine type comes with (A2, A3, G2). */
export function instanceGpus(i: Instance, shape: MachineShape): { model: string; count: number }[] {
  const attached = (i.guestAccelerators ?? [])
    .map((a) => ({ model: lastSegment(a.acceleratorType), count: Number(a.acceleratorCount ?? 0) }))
    .filter((g) => g.count > 0);
  return attached.length > 0 ? attached : shape.gpus;
}

/** The instance's hourly list price from the catalog's SKUs, or undefined when it cannot be known exactly. */
export function gceHourlyPrice(
  table: ComputePriceTable,
  i: Instance,
  shape: MachineShape,
): string | undefined {
  return machineHourlyPrice(table, {
    machineType: lastSegment(i.machineType),
    region: zoneToRegion(lastSegment(i.zone)),
    vcpus: shape.vcpus,
    memoryMb: shape.memoryMb,
    sharedCpu: shape.sharedCpu,
    gpus: instanceGpus(i, shape),
    spot: i.scheduling?.provisioningModel === 'SPOT' || i.scheduling?.preemptible === true,
  });
}

export function mapGceInstance(
  i: Instance,
  shape: MachineShape,
  project: string,
  base: RowBase,
  price?: { hourly: string; currency: string },
): ResourceSnapshotInput {
  const zone = lastSegment(i.zone);
  const gpus = instanceGpus(i, shape);
  return {
    ...base,
    resource_id: String(i.id),
    resource_type: 'vm',
    name: i.name ?? '',
    status: gceStatus(i.status),
    region: zoneToRegion(zone),
    zone,
    sku: lastSegment(i.machineType),
    vcpus: shape.vcpus,
    memory_gib: shape.memoryGib,
    gpu_count: gpus.reduce((n, g) => n + g.count, 0),
    gpu_model: [...new Set(gpus.map((g) => g.model))].join(', '),
    tags: { ...(i.labels ?? {}) },
    created_at: i.creationTimestamp || null,
    hourly_price: price?.hourly ?? null,
    price_currency: price?.currency ?? '',
    attributes: {
      kind: 'gce_instance',
      project,
      provisioning_model: i.scheduling?.provisioningModel ?? 'STANDARD',
      cpu_platform: i.cpuPlatform ?? '',
    },
  };
}

export function mapGceDisk(d: Disk, project: string, base: RowBase): ResourceSnapshotInput {
  const zone = lastSegment(d.zone);
  const users = (d.users ?? []).map(lastSegment);
  return {
    ...base,
    resource_id: String(d.id),
    resource_type: 'disk',
    name: d.name ?? '',
    status:
      d.status === 'READY'
        ? users.length > 0
          ? 'in_use'
          : 'available'
        : (d.status ?? 'unknown').toLowerCase(),
    region: zone ? zoneToRegion(zone) : lastSegment(d.region),
    zone,
    sku: lastSegment(d.type),
    tags: { ...(d.labels ?? {}) },
    created_at: d.creationTimestamp || null,
    attributes: {
      kind: 'gce_disk',
      project,
      size_gb: d.sizeGb !== null && d.sizeGb !== undefined ? Number(d.sizeGb) : null,
      attached_to: users,
    },
  };
}

/**
 * Reads a whole aggregated list of one project. The SDK's async iterator follows
 * pageToken itself and cannot resume mid-way, so the listing is retried as one unit
 * (partial pages are discarded, never duplicated). With returnPartialSuccess, a zone the
 * API could not reach comes back as a scope warning: its resources are unknown, so the
 * listing counts as failed for that zone while the others are kept.
 */
async function aggregated<T>(
  scopes: CallScopes,
  scope: string,
  iterate: () => AsyncIterable<
    [string, { warning?: { code?: string | null; message?: string | null } | null } & Record<string, unknown>]
  >,
  key: string,
): Promise<T[] | undefined> {
  const listed = await scopes.attempt(scope, async () => {
    const items: T[] = [];
    const unreachable: string[] = [];
    try {
      for await (const [where, list] of iterate()) {
        const code = list.warning?.code;
        if (code && !EMPTY_SCOPE_WARNINGS.has(code)) unreachable.push(`${where} ${code}`);
        items.push(...(((list[key] as T[] | null | undefined) ?? []) as T[]));
      }
    } catch (err) {
      throw classifyGcpError(err, scope);
    }
    return { items, unreachable };
  });
  if (!listed) return undefined;
  for (const u of listed.unreachable)
    scopes.fail(`${scope} ${u.split(' ')[0]}`, `scope warning ${u.split(' ')[1]}`);
  return listed.items;
}

/**
 * GCP inventory per project: Compute Engine instances (vCPUs and memory from their
 * machine type, GPUs from attached accelerators or the machine type's own) and disks.
 *
 * Instances get their hourly list price in USD, composed from the Cloud Billing Catalog's
 * per-vCPU, per-GiB and per-GPU SKUs of their family, region and provisioning model (see
 * `prices.ts`). The catalog is read at most once per run, only when there are instances,
 * and reused by the process for 24 h. If it cannot be read, instances are written without
 * a price and the run is warned (partial), but the snapshot stays complete: the inventory
 * itself was seen whole. Disks get no price (their SKUs are per GiB-month).
 */
export async function* collectGcpResources(
  ctx: CollectContext<GcpSettings>,
): AsyncGenerator<ResourceSnapshotInput[]> {
  const scopes = createCallScopes(ctx);
  const options = gaxClientOptions(ctx.connection) as ConstructorParameters<typeof InstancesClient>[0];
  const instances = new InstancesClient(options);
  const disks = new DisksClient(options);
  const machineTypes = new MachineTypesClient(options);
  const prices = createComputePrices(ctx);
  const base: RowBase = {
    customer_id: ctx.customerId,
    provider: 'gcp',
    snapshot_at: ctx.now(),
    task_id: ctx.taskId,
  };
  try {
    for (const project of ctx.connection.settings.project_ids) {
      const list = await aggregated<Instance>(
        scopes,
        `${project} compute:instances.aggregatedList`,
        () =>
          instances.aggregatedListAsync(
            { project, maxResults: 500, returnPartialSuccess: true },
            { autoPaginate: false },
          ) as never,
        'instances',
      );
      if (list) {
        const shapes = await machineShapes(scopes, machineTypes, project, list);
        const described: [Instance, MachineShape][] = [];
        for (const i of list) {
          const shape = shapes.get(`${lastSegment(i.zone)}/${lastSegment(i.machineType)}`);
          if (i.id !== null && i.id !== undefined && shape) described.push([i, shape]);
        }
        const table = described.length > 0 ? await prices.table() : undefined;
        yield described.map(([i, shape]) => {
          const hourly = table && gceHourlyPrice(table, i, shape);
          return mapGceInstance(
            i,
            shape,
            project,
            base,
            hourly !== undefined && table ? { hourly, currency: table.currency } : undefined,
          );
        });
      }
      const diskList = await aggregated<Disk>(
        scopes,
        `${project} compute:disks.aggregatedList`,
        () =>
          disks.aggregatedListAsync(
            { project, maxResults: 500, returnPartialSuccess: true },
            { autoPaginate: false },
          ) as never,
        'disks',
      );
      if (diskList)
        yield diskList
          .filter((d) => d.id !== null && d.id !== undefined)
          .map((d) => mapGceDisk(d, project, base));
    }
  } finally {
    await Promise.all([instances.close(), disks.close(), machineTypes.close(), prices.close()]);
  }
  scopes.finish();
}

/** The shape of each (zone, machine type) in use: custom types parsed, predefined ones looked up once. */
async function machineShapes(
  scopes: CallScopes,
  client: MachineTypesClient,
  project: string,
  list: readonly Instance[],
): Promise<Map<string, MachineShape>> {
  const shapes = new Map<string, MachineShape>();
  for (const i of list) {
    const zone = lastSegment(i.zone);
    const type = lastSegment(i.machineType);
    const key = `${zone}/${type}`;
    if (shapes.has(key) || !zone || !type) continue;
    const custom = parseCustomMachineType(type);
    if (custom) {
      shapes.set(key, custom);
      continue;
    }
    const scope = `${project} compute:machineTypes.get ${key}`;
    const mt = await scopes.attempt(scope, async () => {
      try {
        return (await client.get({ project, zone, machineType: type }))[0];
      } catch (err) {
        throw classifyGcpError(err, scope);
      }
    });
    if (!mt) continue;
    shapes.set(key, {
      vcpus: mt.guestCpus ?? null,
      memoryGib: mt.memoryMb !== null && mt.memoryMb !== undefined ? Number(mt.memoryMb) / 1024 : null,
      memoryMb: mt.memoryMb !== null && mt.memoryMb !== undefined ? Number(mt.memoryMb) : null,
      sharedCpu: mt.isSharedCpu === true,
      gpus: (mt.accelerators ?? []).map((a) => ({
        model: a.guestAcceleratorType ?? '',
        count: Number(a.guestAcceleratorCount ?? 0),
      })),
    });
  }
  return shapes;
}
