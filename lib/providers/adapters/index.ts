import { coreweaveAdapter } from './coreweave';
import { digitalOceanAdapter } from './digitalocean';
import { dockerAdapter } from './docker';
import { hetznerAdapter } from './hetzner';
import { kubernetesAdapter } from './kubernetes';
import { lambdaLabsAdapter } from './lambdalabs';
import { linodeAdapter } from './linode';
import { ovhAdapter } from './ovh';
import { paperspaceAdapter } from './paperspace';
import { runpodAdapter } from './runpod';
import type { ProviderAdapter } from './types';

export { type AdapterContextOptions, createAdapterContext, createTestAdapterContext } from './context';
export { createCachedHttp, RESPONSE_TTL_MS, ResponseCache } from './http-cache';
export type * from './types';

/** Every API adapter this build ships (one folder each under lib/providers/adapters/). */
export const ADAPTERS: readonly ProviderAdapter[] = [
  runpodAdapter,
  lambdaLabsAdapter,
  coreweaveAdapter,
  digitalOceanAdapter,
  linodeAdapter,
  hetznerAdapter,
  paperspaceAdapter,
  ovhAdapter,
  kubernetesAdapter,
  dockerAdapter,
];

/** The adapter for a provider id, if this build has one. */
export function getAdapter(id: string): ProviderAdapter | undefined {
  return ADAPTERS.find((a) => a.id === id);
}
