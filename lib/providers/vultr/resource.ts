import type { CollectContext } from '../../collector/types';
import type { ResourceSnapshotInput } from '../../schemas/rows';
import { type CallScopes, createCallScopes, trackFailures } from '../call-scopes';
import type { VultrSettings } from './config';
import { type VultrApi, vultrApi, vultrPages } from './paging';

/** GET /v2/instances item (fields we use). */
export interface VultrInstance {
  id: string;
  label?: string;
  plan?: string;
  region?: string;
  status?: string;
  power_status?: string;
  vcpu_count?: number;
  ram?: number;
  disk?: number;
  os?: string;
  main_ip?: string;
  allowed_bandwidth?: number;
  date_created?: string;
  tags?: string[];
  features?: string[];
}

/** GET /v2/plans item. `hourly_cost` is published on current plans; GPU plans add gpu_type / gpu_vram_gb. */
export interface VultrPlan {
  id: string;
  vcpu_count?: number;
  ram?: number;
  disk?: number;
  bandwidth?: number;
  monthly_cost?: number;
  hourly_cost?: number;
  type?: string;
  gpu_type?: string;
  gpu_vram_gb?: number;
}

interface VultrBlock {
  id: string;
  label?: string;
  status?: string;
  region?: string;
  size_gb?: number;
  cost?: number;
  block_type?: string;
  attached_to_instance?: string;
  date_created?: string;
}

interface VultrNodePool {
  id: string;
  label?: string;
  plan?: string;
  status?: string;
  node_quantity?: number;
  min_nodes?: number;
  max_nodes?: number;
  auto_scaler?: boolean;
}

interface VultrCluster {
  id: string;
  label?: string;
  status?: string;
  region?: string;
  version?: string;
  date_created?: string;
  node_pools?: VultrNodePool[];
}

/** Full-card VRAM per GPU model, to count GPUs on multi-GPU plans (a smaller VRAM is a fraction of one GPU). */
const GPU_VRAM_GB: Record<string, number> = {
  NVIDIA_A100: 80,
  NVIDIA_H100: 80,
  NVIDIA_A40: 48,
  NVIDIA_L40S: 48,
  NVIDIA_A16: 16,
  AMD_MI300X: 192,
};

/** Vultr reports status (pending/active/suspended/resizing) and power_status (running/stopped) separately. */
export function vultrInstanceStatus(i: Pick<VultrInstance, 'status' | 'power_status'>): string {
  if (i.status === 'pending' || i.status === 'resizing') return 'pending';
  if (i.status === 'suspended') return 'suspended';
  if (i.power_status === 'running') return 'running';
  if (i.power_status === 'stopped') return 'stopped';
  return i.status ?? 'unknown';
}

function tagMap(tags: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t, '']));
}

export function mapVultrInstance(
  i: VultrInstance,
  plan: VultrPlan | undefined,
  base: RowBase,
): ResourceSnapshotInput {
  const gpuModel = plan?.gpu_type ?? '';
  const fullVram = GPU_VRAM_GB[gpuModel];
  const gpuCount = !gpuModel
    ? 0
    : fullVram && plan?.gpu_vram_gb
      ? Math.max(1, Math.round(plan.gpu_vram_gb / fullVram))
      : 1;
  return {
    ...base,
    resource_id: i.id,
    resource_type: 'vm',
    name: i.label ?? '',
    status: vultrInstanceStatus(i),
    region: i.region ?? '',
    zone: '',
    sku: i.plan ?? '',
    vcpus: i.vcpu_count ?? null,
    memory_gib: i.ram !== undefined ? i.ram / 1024 : null,
    gpu_count: gpuCount,
    gpu_model: gpuModel,
    tags: tagMap(i.tags),
    created_at: i.date_created || null,
    hourly_price: plan?.hourly_cost !== undefined ? String(plan.hourly_cost) : null,
    price_currency: plan?.hourly_cost !== undefined ? 'USD' : '',
    attributes: {
      kind: 'vultr_instance',
      os: i.os ?? '',
      disk_gb: i.disk ?? null,
      main_ip: i.main_ip ?? '',
      allowed_bandwidth_gb: i.allowed_bandwidth ?? null,
      ...(plan?.monthly_cost !== undefined ? { monthly_cost: plan.monthly_cost } : {}),
      ...(plan?.gpu_vram_gb !== undefined ? { gpu_vram_gb: plan.gpu_vram_gb } : {}),
    },
  };
}

interface RowBase {
  customer_id: string;
  provider: 'vultr';
  snapshot_at: Date;
  task_id: string;
}

/**
 * Vultr inventory: instances (with their plan's hourly price and GPU), block storage and
 * Kubernetes (VKE) clusters. Each list is read page by page with its own retries; a list
 * that fails leaves the snapshot incomplete while the others are still collected. An
 * instance whose plan cannot be looked up because the plan list failed is left out
 * rather than written without its price.
 */
export async function* collectVultrResources(
  ctx: CollectContext<VultrSettings>,
): AsyncGenerator<ResourceSnapshotInput[]> {
  const api = vultrApi(ctx.connection, ctx.signal);
  const scopes = createCallScopes(ctx);
  const base: RowBase = {
    customer_id: ctx.customerId,
    provider: 'vultr',
    snapshot_at: ctx.now(),
    task_id: ctx.taskId,
  };
  const fetchPage = <R>(label: string, fn: () => Promise<R>) => scopes.attempt(label, fn);

  const plans = await readAll<VultrPlan>(api, '/plans', 'plans', scopes);
  const planIndex = new Map(plans.items.map((p) => [p.id, p]));

  for await (const instances of vultrPages<VultrInstance>(api, '/instances', 'instances', fetchPage)) {
    const rows: ResourceSnapshotInput[] = [];
    for (const i of instances) {
      const plan = i.plan ? planIndex.get(i.plan) : undefined;
      if (!plan && i.plan && !plans.complete) continue;
      rows.push(mapVultrInstance(i, plan, base));
    }
    yield rows;
  }

  for await (const blocks of vultrPages<VultrBlock>(api, '/blocks', 'blocks', fetchPage)) {
    yield blocks.map((b) => ({
      ...base,
      resource_id: b.id,
      resource_type: 'disk',
      name: b.label ?? '',
      status:
        b.status === 'active' ? (b.attached_to_instance ? 'in_use' : 'available') : (b.status ?? 'unknown'),
      region: b.region ?? '',
      sku: b.block_type ?? '',
      created_at: b.date_created || null,
      attributes: {
        kind: 'vultr_block_storage',
        size_gb: b.size_gb ?? null,
        attached_to: b.attached_to_instance ?? '',
        ...(b.cost !== undefined ? { monthly_cost: b.cost } : {}),
      },
    }));
  }

  for await (const clusters of vultrPages<VultrCluster>(
    api,
    '/kubernetes/clusters',
    'vke_clusters',
    fetchPage,
  )) {
    yield clusters.map((c) => ({
      ...base,
      resource_id: c.id,
      resource_type: 'kubernetes_cluster',
      name: c.label ?? '',
      status: c.status ?? 'unknown',
      region: c.region ?? '',
      sku: c.version ?? '',
      created_at: c.date_created || null,
      attributes: {
        kind: 'vultr_kubernetes_cluster',
        nodes: (c.node_pools ?? []).reduce((n, p) => n + (p.node_quantity ?? 0), 0),
        node_pools: (c.node_pools ?? []).map((p) => ({
          id: p.id,
          label: p.label ?? '',
          plan: p.plan ?? '',
          nodes: p.node_quantity ?? 0,
          auto_scaler: p.auto_scaler ?? false,
          min_nodes: p.min_nodes ?? null,
          max_nodes: p.max_nodes ?? null,
        })),
      },
    }));
  }
  scopes.finish();
}

async function readAll<T>(
  api: VultrApi,
  path: string,
  key: string,
  scopes: CallScopes,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let complete = true;
  const tracked = trackFailures(scopes, () => {
    complete = false;
  });
  const fetchPage = <R>(label: string, fn: () => Promise<R>) => tracked.attempt(label, fn);
  for await (const page of vultrPages<T>(api, path, key, fetchPage)) items.push(...page);
  return { items, complete };
}
