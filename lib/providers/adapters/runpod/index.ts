import { z } from 'zod';
import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../../../errors';
import type { PerformancePointInput } from '../../../schemas/rows';
import { numberToDecimal } from '../../hourly-cost';
import { bearer, parseResponse, pointRow, priceTimeCostRows, round3, snapshotRow } from '../common';
import type { AdapterContext, ProviderAdapter } from '../types';

const ID = 'runpod';

export const RunpodSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
});

/** The pods query (RunPod GraphQL API, `myself.pods`); only fields we map. */
export const PODS_QUERY = `query OptiInfraPods {
  myself {
    id
    pods {
      id name desiredStatus costPerHr gpuCount vcpuCount memoryInGb imageName
      machine { gpuDisplayName gpuTypeId dataCenterId }
      runtime {
        uptimeInSeconds
        gpus { id gpuUtilPercent memoryUtilPercent }
        container { cpuPercent memoryPercent }
      }
    }
  }
}`;

const num = z.number().finite();
const PodSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  desiredStatus: z.string(),
  costPerHr: num.nullish(),
  gpuCount: z.number().int().nonnegative().nullish(),
  vcpuCount: num.nullish(),
  memoryInGb: num.nullish(),
  imageName: z.string().nullish(),
  machine: z
    .object({
      gpuDisplayName: z.string().nullish(),
      gpuTypeId: z.string().nullish(),
      dataCenterId: z.string().nullish(),
    })
    .nullish(),
  runtime: z
    .object({
      uptimeInSeconds: num.nullish(),
      gpus: z
        .array(z.object({ id: z.string(), gpuUtilPercent: num.nullish(), memoryUtilPercent: num.nullish() }))
        .nullish(),
      container: z.object({ cpuPercent: num.nullish(), memoryPercent: num.nullish() }).nullish(),
    })
    .nullish(),
});
type Pod = z.infer<typeof PodSchema>;

const PodsAnswerSchema = z.object({
  data: z.object({ myself: z.object({ id: z.string(), pods: z.array(PodSchema) }) }),
});

const GraphqlErrorsSchema = z.object({
  errors: z
    .array(
      z.object({ message: z.string().optional(), extensions: z.record(z.string(), z.unknown()).optional() }),
    )
    .min(1),
});

/**
 * GraphQL reports failures as HTTP 200 with an `errors` array. Authentication,
 * throttling and server failures get their own classes so the run reports them clearly
 * and retries the transient ones.
 */
export function checkGraphqlErrors(data: unknown): void {
  const parsed = GraphqlErrorsSchema.safeParse(data);
  if (!parsed.success) return;
  const first = parsed.data.errors[0];
  const message = (first?.message ?? 'unknown error').slice(0, 300);
  const code = String(first?.extensions?.code ?? '');
  const text = `GraphQL error: ${message}`;
  if (
    /UNAUTHENTICATED|FORBIDDEN/i.test(code) ||
    /unauthori[sz]ed|api key|forbidden|authenticat/i.test(message)
  ) {
    throw new ProviderAuthError(ID, text);
  }
  if (/RATE_LIMIT|THROTTL/i.test(code) || /rate limit|too many requests/i.test(message)) {
    throw new ProviderRateLimitError(ID, text);
  }
  if (/INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE/i.test(code)) throw new ProviderUnavailableError(ID, text);
  throw new ProviderError(ID, 'request_failed', text, false);
}

async function pods(ctx: AdapterContext): Promise<Pod[]> {
  const data = await ctx.http.postJson<unknown>(
    `${ctx.baseUrl}/graphql`,
    { query: PODS_QUERY, variables: {} },
    { headers: bearer(ctx, 'api_key'), cacheable: true, check: checkGraphqlErrors },
  );
  return parseResponse(ID, 'pods query', PodsAnswerSchema, data).data.myself.pods;
}

const isRunning = (p: Pod) => p.desiredStatus === 'RUNNING' && p.runtime != null;

/**
 * RunPod (GraphQL API): pods with their GPU type, data centre and hourly price; cost as
 * `costPerHr` × uptime for running pods (RunPod's billing history is only in the beta
 * REST API); GPU, CPU and memory utilisation from the pod runtime.
 */
export const runpodAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'RunPod',
  category: 'gpu_cloud',
  defaultBaseUrl: 'https://api.runpod.io',
  secretNames: ['api_key'],
  settingsSchema: RunpodSettingsSchema,

  async resources(ctx) {
    return (await pods(ctx)).map((p) =>
      snapshotRow(ctx, {
        resource_id: p.id,
        resource_type: 'pod',
        name: p.name ?? '',
        status: p.desiredStatus.toLowerCase(),
        region: p.machine?.dataCenterId ?? '',
        sku: p.machine?.gpuTypeId ?? '',
        vcpus: p.vcpuCount ?? null,
        memory_gib: p.memoryInGb ?? null,
        gpu_count: p.gpuCount ?? 0,
        gpu_model: p.machine?.gpuDisplayName ?? '',
        hourly_price: p.costPerHr != null ? numberToDecimal(p.costPerHr) : null,
        price_currency: p.costPerHr != null ? 'USD' : '',
        attributes: {
          image: p.imageName ?? '',
          uptime_seconds: p.runtime?.uptimeInSeconds ?? null,
        },
      }),
    );
  },

  async cost(ctx) {
    const now = ctx.collect.now();
    const running = (await pods(ctx)).filter((p) => isRunning(p) && p.costPerHr != null && p.costPerHr > 0);
    return priceTimeCostRows(
      ctx,
      'RunPod',
      running.map((p) => ({
        resourceId: p.id,
        resourceName: p.name ?? p.id,
        resourceType: 'pod',
        regionId: p.machine?.dataCenterId ?? '',
        skuId: p.machine?.gpuTypeId ?? '',
        rate: numberToDecimal(p.costPerHr as number),
        currency: 'USD',
        runningSince:
          p.runtime?.uptimeInSeconds != null
            ? new Date(Math.floor(now.getTime() / 1000 - p.runtime.uptimeInSeconds) * 1000)
            : null,
        serviceName: 'GPU Pods',
      })),
    );
  },

  async performance(ctx) {
    const at = ctx.collect.now();
    const points: PerformancePointInput[] = [];
    for (const p of await pods(ctx)) {
      if (!isRunning(p)) continue;
      const base = {
        resource_id: p.id,
        resource_name: p.name ?? '',
        resource_type: 'pod',
        region: p.machine?.dataCenterId ?? '',
      };
      for (const g of p.runtime?.gpus ?? []) {
        if (g.gpuUtilPercent != null) {
          points.push(
            pointRow(ctx, at, {
              ...base,
              metric: 'gpu_utilization',
              dimension: g.id,
              unit: 'percent',
              value: round3(g.gpuUtilPercent),
              source_metric: 'runtime.gpus.gpuUtilPercent',
            }),
          );
        }
        if (g.memoryUtilPercent != null) {
          points.push(
            pointRow(ctx, at, {
              ...base,
              metric: 'gpu_memory_utilization',
              dimension: g.id,
              unit: 'percent',
              value: round3(g.memoryUtilPercent),
              source_metric: 'runtime.gpus.memoryUtilPercent',
            }),
          );
        }
      }
      const c = p.runtime?.container;
      if (c?.cpuPercent != null) {
        points.push(
          pointRow(ctx, at, {
            ...base,
            metric: 'cpu_utilization',
            unit: 'percent',
            value: round3(c.cpuPercent),
            source_metric: 'runtime.container.cpuPercent',
          }),
        );
      }
      if (c?.memoryPercent != null) {
        points.push(
          pointRow(ctx, at, {
            ...base,
            metric: 'memory_utilization',
            unit: 'percent',
            value: round3(c.memoryPercent),
            source_metric: 'runtime.container.memoryPercent',
          }),
        );
      }
    }
    return points;
  },

  async test(ctx) {
    const data = await ctx.http.postJson<unknown>(
      `${ctx.baseUrl}/graphql`,
      { query: 'query OptiInfraTest { myself { id } }' },
      { headers: bearer(ctx, 'api_key'), check: checkGraphqlErrors },
    );
    parseResponse(
      ID,
      'account query',
      z.object({ data: z.object({ myself: z.object({ id: z.string() }) }) }),
      data,
    );
  },
};
