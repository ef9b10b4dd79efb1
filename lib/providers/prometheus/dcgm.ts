import type { PerformancePointInput } from '../../schemas/rows';
import type { ExpositionSample } from './exposition';
import { firstTemplate } from './query';

/**
 * A GPU's series: its UUID (with the MIG instance under MIG), else its index. The query
 * set `dcgm` in providers.yaml uses the same chain.
 */
export const DCGM_DIMENSION = ['{UUID}/mig{GPU_I_ID}', '{UUID}', 'gpu{gpu}'] as const;

/**
 * How each dcgm-exporter field lands in the shared metric vocabulary. Framebuffer sizes
 * are MiB in DCGM and bytes here; profiling ratios (0–1) become percent; clocks stay MHz.
 * The Prometheus query set `dcgm` in providers.yaml computes the same names the same way,
 * so a GPU reads the same whether its numbers came through Prometheus or straight from
 * the exporter.
 */
export const DCGM_FIELDS: Readonly<Record<string, { metric: string; unit: string; scale: number }>> = {
  DCGM_FI_DEV_GPU_UTIL: { metric: 'gpu_utilization', unit: 'percent', scale: 1 },
  DCGM_FI_DEV_MEM_COPY_UTIL: { metric: 'gpu_memory_copy_utilization', unit: 'percent', scale: 1 },
  DCGM_FI_DEV_FB_USED: { metric: 'gpu_memory_used', unit: 'bytes', scale: 1_048_576 },
  DCGM_FI_DEV_FB_FREE: { metric: 'gpu_memory_free', unit: 'bytes', scale: 1_048_576 },
  DCGM_FI_DEV_POWER_USAGE: { metric: 'gpu_power', unit: 'watts', scale: 1 },
  DCGM_FI_DEV_GPU_TEMP: { metric: 'gpu_temperature', unit: 'celsius', scale: 1 },
  DCGM_FI_DEV_MEMORY_TEMP: { metric: 'gpu_memory_temperature', unit: 'celsius', scale: 1 },
  DCGM_FI_DEV_SM_CLOCK: { metric: 'gpu_sm_clock', unit: 'megahertz', scale: 1 },
  DCGM_FI_DEV_MEM_CLOCK: { metric: 'gpu_memory_clock', unit: 'megahertz', scale: 1 },
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: { metric: 'gpu_graphics_engine_active', unit: 'percent', scale: 100 },
  DCGM_FI_PROF_SM_ACTIVE: { metric: 'gpu_sm_active', unit: 'percent', scale: 100 },
  DCGM_FI_PROF_SM_OCCUPANCY: { metric: 'gpu_sm_occupancy', unit: 'percent', scale: 100 },
  DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: { metric: 'gpu_tensor_active', unit: 'percent', scale: 100 },
  DCGM_FI_PROF_DRAM_ACTIVE: { metric: 'gpu_dram_active', unit: 'percent', scale: 100 },
  // A gauge holding the code of the last XID error the driver raised (0: none since start),
  // not a count: stored as the code so that readers can tell an XID 79 from an XID 13.
  DCGM_FI_DEV_XID_ERRORS: { metric: 'gpu_xid_error', unit: 'code', scale: 1 },
};

/** Labels dcgm-exporter writes that we keep on every GPU point (when present). */
export const DCGM_KEPT_LABELS = [
  'gpu',
  'UUID',
  'device',
  'modelName',
  'Hostname',
  'pci_bus_id',
  'DCGM_FI_DRIVER_VERSION',
  'namespace',
  'pod',
  'container',
  'GPU_I_ID',
  'GPU_I_PROFILE',
] as const;

/**
 * Points from one dcgm-exporter scrape. The resource is the GPU's host (`Hostname`, else
 * the endpoint's host name); the dimension is the GPU UUID (with the MIG instance when
 * the exporter reports one), so each GPU is its own series. A point's time is the
 * exporter's timestamp when it wrote one, else the scrape time.
 */
export function mapDcgmSamples(
  samples: readonly ExpositionSample[],
  ctx: {
    customerId: string;
    provider: string;
    endpointHost: string;
    region: string;
    scrapedAt: Date;
    taskId: string;
  },
): PerformancePointInput[] {
  const points: PerformancePointInput[] = [];
  const framebuffer = new Map<string, { used?: number; free?: number; point: PerformancePointInput }>();
  for (const s of samples) {
    const field = DCGM_FIELDS[s.name];
    if (!field) continue;
    const dimension = firstTemplate(DCGM_DIMENSION, s.labels) ?? '';
    const host = s.labels.Hostname || ctx.endpointHost;
    const labels: Record<string, string> = {};
    for (const name of DCGM_KEPT_LABELS) {
      const v = s.labels[name];
      if (v !== undefined && v !== '') labels[name] = v;
    }
    const point: PerformancePointInput = {
      customer_id: ctx.customerId,
      provider: ctx.provider,
      resource_id: host,
      resource_name: host,
      resource_type: 'machine',
      region: ctx.region,
      metric: field.metric,
      dimension,
      unit: field.unit,
      value: field.scale === 1 ? s.value : s.value * field.scale,
      ts: s.timestampMs !== undefined ? new Date(s.timestampMs) : ctx.scrapedAt,
      source_metric: s.name,
      labels,
      task_id: ctx.taskId,
      collected_at: ctx.scrapedAt,
    };
    points.push(point);
    if (s.name === 'DCGM_FI_DEV_FB_USED' || s.name === 'DCGM_FI_DEV_FB_FREE') {
      const key = `${host}\u0000${point.dimension}\u0000${String(point.ts)}`;
      const fb = framebuffer.get(key) ?? { point };
      if (s.name === 'DCGM_FI_DEV_FB_USED') fb.used = s.value;
      else fb.free = s.value;
      framebuffer.set(key, fb);
    }
  }
  // DCGM has no total by default (FB_TOTAL is off): utilisation is used / (used + free).
  for (const fb of framebuffer.values()) {
    if (fb.used === undefined || fb.free === undefined || fb.used + fb.free <= 0) continue;
    points.push({
      ...fb.point,
      metric: 'gpu_memory_utilization',
      unit: 'percent',
      value: (100 * fb.used) / (fb.used + fb.free),
      source_metric: 'DCGM_FI_DEV_FB_USED/(FB_USED+FB_FREE)',
    });
  }
  return points;
}
