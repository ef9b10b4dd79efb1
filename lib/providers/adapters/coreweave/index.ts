import { createKubernetesAdapter } from '../kubernetes';
import type { ProviderAdapter } from '../types';

/**
 * CoreWeave is Kubernetes-native: its clusters (CKS) are read through their API server
 * like any cluster, with CoreWeave's node labels as defaults (GPU class in
 * `gpu.nvidia.com/class`, the instance type in `node.kubernetes.io/instance-type`) and a
 * price table per instance type in settings (`prices`), since the API server knows no
 * prices. `base_url` (the cluster's API server) is required.
 */
export const coreweaveAdapter: ProviderAdapter = createKubernetesAdapter({
  id: 'coreweave',
  displayName: 'CoreWeave',
  category: 'gpu_cloud',
  defaultBaseUrl: '',
  priceLabel: 'node.kubernetes.io/instance-type',
  gpuModelLabel: 'gpu.nvidia.com/class',
});
