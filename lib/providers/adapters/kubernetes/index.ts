import { Agent } from 'undici';
import { z } from 'zod';
import { ProviderError, ProviderParseError } from '../../../errors';
import type { PerformancePointInput, ResourceSnapshotInput } from '../../../schemas/rows';
import {
  apiUrl,
  isHttpStatus,
  parseResponse,
  pointRow,
  priceTimeCostRows,
  round3,
  settingsOf,
  snapshotRow,
  timestamp,
} from '../common';
import type { AdapterContext, AdapterSettings, ProviderAdapter } from '../types';
import { parseQuantity } from './quantity';

const MAX_PAGES = 10_000;
const GPU_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu'] as const;

const decimalText = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'must be a decimal such as "2.21"');

/** Settings of a Kubernetes API server connection; label defaults differ per platform. */
export function kubernetesSettingsSchema(defaults: {
  price_label: string;
  gpu_model_label: string;
  require_base_url: boolean;
}) {
  return z.strictObject({
    base_url: defaults.require_base_url ? z.string().url() : z.string().url().optional(),
    /** PEM of the cluster's CA, when the API server's certificate is not publicly trusted. */
    ca_cert: z.string().includes('BEGIN CERTIFICATE', { message: 'must be a PEM certificate' }).optional(),
    insecure_skip_tls_verify: z.boolean().default(false),
    /** Names the cluster in inventory rows (the API does not know its own name). */
    cluster_name: z.string().max(128).default(''),
    include_pods: z.boolean().default(true),
    page_size: z.number().int().min(1).max(5000).default(500),
    /** Node label whose value is looked up in `prices` (an instance type or GPU class). */
    price_label: z.string().min(1).default(defaults.price_label),
    /** Node label naming the GPU model (GPU feature discovery sets nvidia.com/gpu.product). */
    gpu_model_label: z.string().min(1).default(defaults.gpu_model_label),
    /** Hourly price per value of `price_label`: the API server knows no prices. */
    prices: z.record(z.string(), decimalText).default({}),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
      .default('USD'),
  });
}
export type KubernetesSettings = z.infer<ReturnType<typeof kubernetesSettingsSchema>>;

const Meta = z.object({
  name: z.string(),
  namespace: z.string().nullish(),
  uid: z.string(),
  creationTimestamp: timestamp.nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
});
const Resources = z.record(z.string(), z.string()).nullish();

const NodeSchema = z.object({
  metadata: Meta,
  spec: z.object({ providerID: z.string().nullish(), unschedulable: z.boolean().nullish() }).nullish(),
  status: z.object({
    capacity: Resources,
    allocatable: Resources,
    conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish(),
    nodeInfo: z
      .object({
        kubeletVersion: z.string().nullish(),
        osImage: z.string().nullish(),
        architecture: z.string().nullish(),
        containerRuntimeVersion: z.string().nullish(),
      })
      .nullish(),
  }),
});
type Node = z.infer<typeof NodeSchema>;

const ContainerSchema = z.object({
  name: z.string(),
  image: z.string().nullish(),
  resources: z.object({ requests: Resources, limits: Resources }).nullish(),
});
const PodSchema = z.object({
  metadata: Meta,
  spec: z.object({ nodeName: z.string().nullish(), containers: z.array(ContainerSchema) }),
  status: z
    .object({ phase: z.string().nullish(), startTime: timestamp.nullish(), podIP: z.string().nullish() })
    .nullish(),
});
type Pod = z.infer<typeof PodSchema>;

const listSchema = <T extends z.ZodType>(item: T) =>
  z.object({ metadata: z.object({ continue: z.string().nullish() }).nullish(), items: z.array(item) });

const NodeMetricsSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      timestamp: timestamp.nullish(),
      usage: z.record(z.string(), z.string()),
    }),
  ),
});

const auth = (ctx: AdapterContext) => ({ authorization: `Bearer ${ctx.secrets.token}` });

/** A whole list, `limit` items per page, following `metadata.continue`. */
async function listAll<T>(
  ctx: AdapterContext,
  path: string,
  item: z.ZodType<T>,
  pageSize: number,
): Promise<T[]> {
  const schema = listSchema(item);
  const all: T[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    let data: unknown;
    try {
      data = await ctx.http.getJson<unknown>(
        apiUrl(ctx.baseUrl, path, { limit: pageSize, continue: token }),
        {
          headers: auth(ctx),
        },
      );
    } catch (err) {
      if (token && err instanceof ProviderError && isHttpStatus(err, 410)) {
        throw new ProviderError(
          err.provider,
          'list_expired',
          `GET ${path}: the list changed too much while paging (continue token expired); the next collection lists again`,
          false,
          { cause: err },
        );
      }
      throw err;
    }
    const body = parseResponse(ctx.collect.provider, `GET ${path}`, schema, data) as {
      metadata?: { continue?: string | null } | null;
      items: T[];
    };
    all.push(...body.items);
    const next = body.metadata?.continue;
    if (!next) return all;
    if (next === token)
      throw new ProviderParseError(ctx.collect.provider, `GET ${path}: continue token repeats`);
    token = next;
  }
  throw new ProviderParseError(ctx.collect.provider, `GET ${path}: more than ${MAX_PAGES} pages`);
}

const nodes = (ctx: AdapterContext, s: KubernetesSettings) =>
  listAll(ctx, '/api/v1/nodes', NodeSchema, s.page_size);
const pods = (ctx: AdapterContext, s: KubernetesSettings) =>
  listAll(ctx, '/api/v1/pods', PodSchema, s.page_size);

const label = (m: z.infer<typeof Meta>, ...keys: string[]) => {
  for (const k of keys) {
    const v = m.labels?.[k];
    if (v) return v;
  }
  return '';
};
const region = (n: Node) =>
  label(n.metadata, 'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region');
const zone = (n: Node) =>
  label(n.metadata, 'topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone');
const instanceType = (n: Node) =>
  label(n.metadata, 'node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type');

function gpus(resources: Record<string, string> | null | undefined): number {
  let total = 0;
  for (const r of GPU_RESOURCES) total += parseQuantity(resources?.[r]) ?? 0;
  return Math.round(total);
}

const ready = (n: Node) => n.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** A pod asks for the larger of request and limit (extended resources such as GPUs only have limits). */
function podAsk(p: Pod, resource: string): number {
  let total = 0;
  for (const c of p.spec.containers) {
    const req = parseQuantity(c.resources?.requests?.[resource]) ?? 0;
    const lim = parseQuantity(c.resources?.limits?.[resource]) ?? 0;
    total += Math.max(req, lim);
  }
  return total;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const agents = new Map<string, Agent>();

export interface KubernetesAdapterOptions {
  id: string;
  displayName: string;
  category: ProviderAdapter['category'];
  defaultBaseUrl: string;
  priceLabel: string;
  gpuModelLabel: string;
}

/**
 * A Kubernetes cluster through its API server (bearer token; plain fetch with an undici
 * agent for a private CA): nodes (instance type, zone, capacity, GPUs, readiness) and pods
 * (namespace, node, phase, requested CPU, memory and GPUs), paged with limit/continue.
 * Cost is the connection's price table (per node label value) × time since each node was
 * created; CPU and memory utilisation per node come from metrics-server when installed.
 */
export function createKubernetesAdapter(o: KubernetesAdapterOptions): ProviderAdapter {
  const schema = kubernetesSettingsSchema({
    price_label: o.priceLabel,
    gpu_model_label: o.gpuModelLabel,
    require_base_url: !o.defaultBaseUrl,
  });
  return {
    id: o.id,
    displayName: o.displayName,
    category: o.category,
    defaultBaseUrl: o.defaultBaseUrl,
    secretNames: ['token'],
    settingsSchema: schema,

    httpOptions(raw: AdapterSettings) {
      const s = schema.parse(raw);
      if (!s.ca_cert && !s.insecure_skip_tls_verify) return {};
      const key = `${s.insecure_skip_tls_verify}\u0000${s.ca_cert ?? ''}`;
      let agent = agents.get(key);
      if (!agent) {
        agent = new Agent({
          connect: {
            ...(s.ca_cert ? { ca: s.ca_cert } : {}),
            rejectUnauthorized: !s.insecure_skip_tls_verify,
          },
        });
        agents.set(key, agent);
      }
      return { dispatcher: agent };
    },

    async resources(ctx) {
      const s = settingsOf(ctx, schema);
      const [nodeList, podList] = await Promise.all([
        nodes(ctx, s),
        s.include_pods ? pods(ctx, s) : Promise.resolve([] as Pod[]),
      ]);
      const rows: ResourceSnapshotInput[] = [];
      const nodeByName = new Map(nodeList.map((n) => [n.metadata.name, n]));
      for (const n of nodeList) {
        const priceKey = n.metadata.labels?.[s.price_label] ?? '';
        const price = s.prices[priceKey];
        const memory = parseQuantity(n.status.capacity?.memory);
        rows.push(
          snapshotRow(ctx, {
            resource_id: n.metadata.uid,
            resource_type: 'node',
            name: n.metadata.name,
            status: ready(n) ? 'ready' : 'not_ready',
            region: region(n),
            zone: zone(n),
            sku: instanceType(n) || priceKey,
            vcpus: parseQuantity(n.status.capacity?.cpu),
            memory_gib: memory === null ? null : round2(memory / 1024 ** 3),
            gpu_count: gpus(n.status.capacity),
            gpu_model: n.metadata.labels?.[s.gpu_model_label] ?? '',
            tags: n.metadata.labels ?? {},
            created_at: n.metadata.creationTimestamp ?? null,
            hourly_price: price ?? null,
            price_currency: price ? s.currency : '',
            attributes: {
              cluster: s.cluster_name,
              provider_id: n.spec?.providerID ?? '',
              unschedulable: n.spec?.unschedulable ?? false,
              kubelet_version: n.status.nodeInfo?.kubeletVersion ?? '',
              os_image: n.status.nodeInfo?.osImage ?? '',
              architecture: n.status.nodeInfo?.architecture ?? '',
              allocatable: n.status.allocatable ?? {},
            },
          }),
        );
      }
      for (const p of podList) {
        const node = p.spec.nodeName ? nodeByName.get(p.spec.nodeName) : undefined;
        const memory = podAsk(p, 'memory');
        rows.push(
          snapshotRow(ctx, {
            resource_id: p.metadata.uid,
            resource_type: 'pod',
            name: `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`,
            status: (p.status?.phase ?? 'unknown').toLowerCase(),
            region: node ? region(node) : '',
            zone: node ? zone(node) : '',
            sku: node ? instanceType(node) : '',
            vcpus: round3(podAsk(p, 'cpu')) || null,
            memory_gib: memory ? round2(memory / 1024 ** 3) : null,
            gpu_count: Math.round(GPU_RESOURCES.reduce((t, r) => t + podAsk(p, r), 0)),
            gpu_model: node?.metadata.labels?.[s.gpu_model_label] ?? '',
            tags: p.metadata.labels ?? {},
            created_at: p.metadata.creationTimestamp ?? null,
            attributes: {
              cluster: s.cluster_name,
              namespace: p.metadata.namespace ?? '',
              node: p.spec.nodeName ?? '',
              started_at: p.status?.startTime?.toISOString() ?? null,
              pod_ip: p.status?.podIP ?? '',
              images: p.spec.containers.map((c) => c.image ?? ''),
            },
          }),
        );
      }
      return rows;
    },

    async cost(ctx) {
      const s = settingsOf(ctx, schema);
      const list = await nodes(ctx, s);
      const unpriced = new Set<string>();
      const priced = [];
      for (const n of list) {
        const key = n.metadata.labels?.[s.price_label] ?? '';
        const rate = s.prices[key];
        if (!rate) {
          unpriced.add(key || `(no ${s.price_label} label)`);
          continue;
        }
        priced.push({
          resourceId: n.metadata.uid,
          resourceName: n.metadata.name,
          resourceType: 'node',
          regionId: region(n),
          zone: zone(n),
          skuId: key,
          rate,
          currency: s.currency,
          runningSince: n.metadata.creationTimestamp ?? null,
          serviceName: gpus(n.status.capacity) > 0 ? 'GPU nodes' : 'Nodes',
          ...(s.cluster_name ? { billingAccountId: s.cluster_name } : {}),
        });
      }
      if (unpriced.size > 0) {
        ctx.collect.logger.warn('nodes without a price in settings.prices; no cost rows for them', {
          price_label: s.price_label,
          values: [...unpriced].slice(0, 20),
        });
      }
      return priceTimeCostRows(ctx, o.displayName, priced);
    },

    async performance(ctx) {
      let metrics: z.infer<typeof NodeMetricsSchema>;
      try {
        const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/apis/metrics.k8s.io/v1beta1/nodes`, {
          headers: auth(ctx),
        });
        metrics = parseResponse(
          ctx.collect.provider,
          'GET /apis/metrics.k8s.io/v1beta1/nodes',
          NodeMetricsSchema,
          data,
        );
      } catch (err) {
        if (isHttpStatus(err, 404)) {
          ctx.collect.logger.info('metrics-server is not installed; no node utilisation from the API server');
          return [];
        }
        throw err;
      }
      const byName = new Map((await nodes(ctx, settingsOf(ctx, schema))).map((n) => [n.metadata.name, n]));
      const at = ctx.collect.now();
      const points: PerformancePointInput[] = [];
      for (const m of metrics.items) {
        const n = byName.get(m.metadata.name);
        if (!n) continue;
        const base = {
          resource_id: n.metadata.uid,
          resource_name: n.metadata.name,
          resource_type: 'node',
          region: region(n),
        };
        const ts = m.timestamp ?? at;
        const cpu = parseQuantity(m.usage.cpu);
        const cpuCap = parseQuantity(n.status.allocatable?.cpu ?? n.status.capacity?.cpu);
        if (cpu !== null && cpuCap) {
          points.push(
            pointRow(ctx, ts, {
              ...base,
              metric: 'cpu_utilization',
              unit: 'percent',
              value: round3((cpu / cpuCap) * 100),
              source_metric: 'metrics.k8s.io usage.cpu / allocatable.cpu',
            }),
          );
        }
        const mem = parseQuantity(m.usage.memory);
        const memCap = parseQuantity(n.status.allocatable?.memory ?? n.status.capacity?.memory);
        if (mem !== null && memCap) {
          points.push(
            pointRow(ctx, ts, {
              ...base,
              metric: 'memory_utilization',
              unit: 'percent',
              value: round3((mem / memCap) * 100),
              source_metric: 'metrics.k8s.io usage.memory / allocatable.memory',
            }),
          );
          points.push(
            pointRow(ctx, ts, {
              ...base,
              metric: 'memory_used',
              unit: 'bytes',
              value: Math.round(mem),
              source_metric: 'metrics.k8s.io usage.memory',
            }),
          );
        }
      }
      return points;
    },

    async test(ctx) {
      const data = await ctx.http.getJson<unknown>(apiUrl(ctx.baseUrl, '/api/v1/nodes', { limit: 1 }), {
        headers: auth(ctx),
      });
      parseResponse(ctx.collect.provider, 'GET /api/v1/nodes', listSchema(NodeSchema), data);
    },
  };
}

/** Any Kubernetes cluster; in-cluster by default (the API server's service address). */
export const kubernetesAdapter: ProviderAdapter = createKubernetesAdapter({
  id: 'kubernetes',
  displayName: 'Kubernetes',
  category: 'self_hosted',
  defaultBaseUrl: 'https://kubernetes.default.svc',
  priceLabel: 'node.kubernetes.io/instance-type',
  gpuModelLabel: 'nvidia.com/gpu.product',
});
