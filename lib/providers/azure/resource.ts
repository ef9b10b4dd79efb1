import {
  ComputeManagementClient,
  type Disk,
  type ResourceSku,
  type VirtualMachine,
} from '@azure/arm-compute';
import type { CollectContext } from '../../collector/types';
import type { ResourceSnapshotInput } from '../../schemas/rows';
import { createCallScopes, trackFailures } from '../call-scopes';
import { azureClientOptions, azureCredential } from './clients';
import type { AzureSettings } from './config';
import { armPages, resourceGroupOf } from './paging';
import { AZURE_PRICE_CURRENCY, azureVmBilling, createAzurePriceLookup } from './prices';

interface SizeShape {
  vcpus: number | null;
  memoryGib: number | null;
  gpus: number;
  /** The size as the SKU list spells it (price filters are case-sensitive; VMs may not be). */
  name?: string;
}

interface RowBase {
  customer_id: string;
  provider: 'azure';
  snapshot_at: Date;
  task_id: string;
}

/**
 * GPU model by VM size name. Azure's SKU capabilities give the GPU count but not the
 * model; the size name (series) determines it.
 */
const GPU_MODELS: readonly [RegExp, string][] = [
  [/_H100_v5$/i, 'NVIDIA H100'],
  [/_H200_v5$/i, 'NVIDIA H200'],
  [/_A100_v4$|^Standard_ND96asr_v4$/i, 'NVIDIA A100'],
  [/_A10_v5$|_A10_v4$/i, 'NVIDIA A10'],
  [/_T4_v3$/i, 'NVIDIA T4'],
  [/_MI300X_v5$/i, 'AMD MI300X'],
  [/^Standard_NC\d+r?s_v3$|^Standard_ND40rs_v2$/i, 'NVIDIA V100'],
  [/^Standard_NC\d+r?s_v2$/i, 'NVIDIA P100'],
  [/^Standard_ND\d+r?s$/i, 'NVIDIA P40'],
  [/^Standard_NV\d+s_v3$/i, 'NVIDIA M60'],
  [/^Standard_NV\d+as_v4$/i, 'AMD MI25'],
];

export function azureGpuModel(size: string): string {
  return GPU_MODELS.find(([re]) => re.test(size))?.[1] ?? '';
}

/** PowerState/<state> from the instance view. `deallocated` is kept apart from `stopped`: a stopped (allocated) VM is still billed. */
export function azureVmStatus(vm: VirtualMachine): string {
  const power = vm.instanceView?.statuses
    ?.find((s) => s.code?.startsWith('PowerState/'))
    ?.code?.slice('PowerState/'.length);
  switch (power) {
    case 'running':
      return 'running';
    case 'starting':
      return 'pending';
    case 'stopping':
    case 'deallocating':
      return 'stopping';
    case 'stopped':
      return 'stopped';
    case 'deallocated':
      return 'deallocated';
    default:
      return power ?? (vm.provisioningState ?? 'unknown').toLowerCase();
  }
}

/** vCPUs, MemoryGB and GPUs of each VM size, from the SKU list of a location. */
export function sizeShapes(skus: readonly ResourceSku[]): Map<string, SizeShape> {
  const out = new Map<string, SizeShape>();
  for (const s of skus) {
    if (s.resourceType !== 'virtualMachines' || !s.name) continue;
    const cap = (n: string) => {
      const v = s.capabilities?.find((c) => c.name === n)?.value;
      return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
    };
    out.set(s.name.toLowerCase(), {
      name: s.name,
      vcpus: cap('vCPUs'),
      memoryGib: cap('MemoryGB'),
      gpus: cap('GPUs') ?? 0,
    });
  }
  return out;
}

export function mapAzureVm(
  vm: VirtualMachine,
  shape: SizeShape,
  subscription: string,
  base: RowBase,
  /** Hourly list price in USD (prices.ts); null when unknown. */
  hourlyPrice: string | null = null,
): ResourceSnapshotInput {
  const size = vm.hardwareProfile?.vmSize ?? '';
  return {
    ...base,
    resource_id: (vm.id as string).toLowerCase(),
    resource_type: 'vm',
    name: vm.name ?? '',
    status: azureVmStatus(vm),
    region: vm.location ?? '',
    zone: vm.zones?.[0] ?? '',
    sku: size,
    vcpus: shape.vcpus,
    memory_gib: shape.memoryGib,
    gpu_count: shape.gpus,
    gpu_model: shape.gpus > 0 ? azureGpuModel(size) : '',
    tags: { ...(vm.tags ?? {}) },
    created_at: vm.timeCreated ?? null,
    hourly_price: hourlyPrice,
    price_currency: hourlyPrice === null ? '' : AZURE_PRICE_CURRENCY,
    attributes: {
      kind: 'azure_vm',
      subscription_id: subscription,
      resource_group: resourceGroupOf(vm.id as string).toLowerCase(),
      priority: vm.priority ?? 'Regular',
      os_type: vm.storageProfile?.osDisk?.osType ?? '',
      vm_id: vm.vmId ?? '',
    },
  };
}

export function mapAzureDisk(d: Disk, subscription: string, base: RowBase): ResourceSnapshotInput {
  const state = d.diskState ?? '';
  return {
    ...base,
    resource_id: (d.id as string).toLowerCase(),
    resource_type: 'disk',
    name: d.name ?? '',
    status:
      state === 'Attached'
        ? 'in_use'
        : state === 'Unattached'
          ? 'available'
          : state.toLowerCase() || 'unknown',
    region: d.location ?? '',
    zone: d.zones?.[0] ?? '',
    sku: d.sku?.name ?? '',
    tags: { ...(d.tags ?? {}) },
    created_at: d.timeCreated ?? null,
    attributes: {
      kind: 'azure_disk',
      subscription_id: subscription,
      resource_group: resourceGroupOf(d.id as string).toLowerCase(),
      size_gb: d.diskSizeGB ?? null,
      attached_to: d.managedBy ? (d.managedBy.split('/').pop() ?? '') : '',
    },
  };
}

/**
 * Azure inventory per subscription: VMs (power state from the instance view; vCPUs,
 * memory and GPU count from the location's resource SKUs; GPU model from the size's
 * series) and managed disks. Lists are paged by nextLink, each page retried on its own.
 * A VM whose size could not be described (its location's SKU list failed) is left out
 * rather than written without its size.
 *
 * VM hourly prices (USD list prices) come from the public Retail Prices API, one query per
 * region for the sizes in use, cached by the process for 24 h (prices.ts). A failed price
 * lookup is not a failed inventory call: the VMs are written with a null price, the run
 * gets a warning (partial), and the snapshot stays complete. Disks get no price (Azure
 * prices them per month, not per hour).
 */
export async function* collectAzureResources(
  ctx: CollectContext<AzureSettings>,
): AsyncGenerator<ResourceSnapshotInput[]> {
  const scopes = createCallScopes(ctx);
  const credential = azureCredential(ctx.connection);
  const options = azureClientOptions(ctx.connection);
  const prices = createAzurePriceLookup(ctx);
  const base: RowBase = {
    customer_id: ctx.customerId,
    provider: 'azure',
    snapshot_at: ctx.now(),
    task_id: ctx.taskId,
  };
  for (const subscription of ctx.connection.settings.subscription_ids) {
    const compute = new ComputeManagementClient(credential, subscription, options);
    const vms: VirtualMachine[] = [];
    for await (const page of armPages<VirtualMachine>(
      scopes,
      `${subscription} compute:virtualMachines.listAll`,
      (token) =>
        compute.virtualMachines
          .listAll({ statusOnly: 'true', abortSignal: ctx.signal })
          .byPage({ continuationToken: token }),
    )) {
      vms.push(...page.filter((vm) => vm.id));
    }
    const shapes = new Map<string, Map<string, SizeShape>>();
    for (const location of [...new Set(vms.map((vm) => vm.location ?? ''))].filter(Boolean).sort()) {
      const skus: ResourceSku[] = [];
      let complete = true;
      for await (const page of armPages<ResourceSku>(
        trackFailures(scopes, () => {
          complete = false;
        }),
        `${subscription} compute:resourceSkus.list ${location}`,
        (token) =>
          compute.resourceSkus
            .list({ filter: `location eq '${location}'`, abortSignal: ctx.signal })
            .byPage({ continuationToken: token }),
      )) {
        skus.push(...page);
      }
      if (complete) shapes.set(location, sizeShapes(skus));
    }
    const described: { vm: VirtualMachine; shape: SizeShape }[] = [];
    for (const vm of vms) {
      const shape = shapes.get(vm.location ?? '')?.get((vm.hardwareProfile?.vmSize ?? '').toLowerCase());
      if (shape) described.push({ vm, shape });
      else if (shapes.has(vm.location ?? ''))
        described.push({ vm, shape: { vcpus: null, memoryGib: null, gpus: 0 } });
    }
    const found = await prices.hourlyPrices(
      described.map(({ vm, shape }) => {
        const billing = azureVmBilling(vm);
        const size = shape.name ?? vm.hardwareProfile?.vmSize ?? '';
        return billing && { region: vm.location ?? '', size, ...billing };
      }),
    );
    yield described.map(({ vm, shape }, i) => mapAzureVm(vm, shape, subscription, base, found[i] ?? null));

    for await (const disks of armPages<Disk>(scopes, `${subscription} compute:disks.list`, (token) =>
      compute.disks.list({ abortSignal: ctx.signal }).byPage({ continuationToken: token }),
    )) {
      yield disks.filter((d) => d.id).map((d) => mapAzureDisk(d, subscription, base));
    }
  }
  scopes.finish();
}
