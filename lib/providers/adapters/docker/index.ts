import { Agent } from 'undici';
import { z } from 'zod';
import { mapLimit } from '../../../concurrency';
import type { PerformancePointInput, ResourceSnapshotInput } from '../../../schemas/rows';
import { isHttpStatus, parseResponse, pointRow, round3, settingsOf, snapshotRow } from '../common';
import type { AdapterContext, AdapterSettings, ProviderAdapter } from '../types';

const ID = 'docker';

export const DockerSettingsSchema = z.strictObject({
  /** A TCP Engine API (http://host:2375); when absent, the unix socket is used. */
  base_url: z.string().url().optional(),
  socket_path: z.string().startsWith('/', 'must be an absolute path').default('/var/run/docker.sock'),
  /** Read each running container's stats for utilisation (one call per container, a second each). */
  stats: z.boolean().default(true),
  stats_concurrency: z.number().int().min(1).max(32).default(4),
});
export type DockerSettings = z.infer<typeof DockerSettingsSchema>;

const InfoSchema = z.object({
  ID: z.string(),
  Name: z.string(),
  NCPU: z.number().int().nonnegative(),
  MemTotal: z.number().nonnegative(),
  OperatingSystem: z.string().nullish(),
  OSType: z.string().nullish(),
  Architecture: z.string().nullish(),
  ServerVersion: z.string().nullish(),
  KernelVersion: z.string().nullish(),
  DefaultRuntime: z.string().nullish(),
  Runtimes: z.record(z.string(), z.unknown()).nullish(),
});
type Info = z.infer<typeof InfoSchema>;

const ContainerSchema = z.object({
  Id: z.string().min(1),
  Names: z.array(z.string()).nullish(),
  Image: z.string(),
  ImageID: z.string().nullish(),
  Command: z.string().nullish(),
  Created: z.number().int().nonnegative(),
  State: z.string(),
  Status: z.string().nullish(),
  Labels: z.record(z.string(), z.string()).nullish(),
});
type Container = z.infer<typeof ContainerSchema>;

const CpuStats = z.object({
  cpu_usage: z.object({ total_usage: z.number() }),
  system_cpu_usage: z.number().nullish(),
});
const StatsSchema = z.object({
  read: z.string().nullish(),
  cpu_stats: CpuStats,
  precpu_stats: CpuStats.partial()
    .extend({ cpu_usage: z.object({ total_usage: z.number() }).nullish() })
    .nullish(),
  memory_stats: z
    .object({
      usage: z.number().nullish(),
      limit: z.number().nullish(),
      stats: z.record(z.string(), z.number()).nullish(),
    })
    .nullish(),
});
type Stats = z.infer<typeof StatsSchema>;

const agents = new Map<string, Agent>();

async function info(ctx: AdapterContext): Promise<Info> {
  return parseResponse(ID, 'GET /info', InfoSchema, await ctx.http.getJson<unknown>(`${ctx.baseUrl}/info`));
}

async function containers(ctx: AdapterContext): Promise<Container[]> {
  const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/containers/json?all=true`);
  return parseResponse(ID, 'GET /containers/json', z.array(ContainerSchema), data);
}

const nameOf = (c: Container) => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');

/**
 * CPU use as a percent of the whole host (0–100), from the stats' own previous sample;
 * `docker stats` shows this × the number of CPUs. Null without a previous sample.
 */
export function cpuPercent(s: Stats): number | null {
  const pre = s.precpu_stats;
  if (!pre?.cpu_usage || pre.system_cpu_usage == null || s.cpu_stats.system_cpu_usage == null) return null;
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - pre.cpu_usage.total_usage;
  const systemDelta = s.cpu_stats.system_cpu_usage - pre.system_cpu_usage;
  if (systemDelta <= 0 || cpuDelta < 0) return null;
  return (cpuDelta / systemDelta) * 100;
}

/** Memory in use without the page cache (cgroup v2 `inactive_file`, v1 `cache`), as `docker stats` shows it. */
export function memoryUsed(s: Stats): number | null {
  const m = s.memory_stats;
  if (m?.usage == null) return null;
  const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? m.stats?.cache ?? 0;
  return Math.max(0, m.usage - cache);
}

/**
 * Docker Engine API (over the unix socket, or TCP): the host (CPUs, memory, engine
 * version) and every container (image, state, labels, creation time), plus CPU and memory
 * utilisation of running containers from their stats. Docker knows no prices: no cost.
 */
export const dockerAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'Docker',
  category: 'self_hosted',
  defaultBaseUrl: 'http://localhost',
  secretNames: [],
  settingsSchema: DockerSettingsSchema,

  httpOptions(raw: AdapterSettings) {
    const s = DockerSettingsSchema.parse(raw);
    if (s.base_url) return {};
    let agent = agents.get(s.socket_path);
    if (!agent) {
      agent = new Agent({ connect: { socketPath: s.socket_path } });
      agents.set(s.socket_path, agent);
    }
    return { dispatcher: agent };
  },

  async resources(ctx) {
    const [host, list] = await Promise.all([info(ctx), containers(ctx)]);
    const rows: ResourceSnapshotInput[] = [
      snapshotRow(ctx, {
        resource_id: host.ID,
        resource_type: 'host',
        name: host.Name,
        status: 'running',
        sku: host.OperatingSystem ?? '',
        vcpus: host.NCPU,
        memory_gib: Math.round((host.MemTotal / 1024 ** 3) * 100) / 100,
        attributes: {
          engine_version: host.ServerVersion ?? '',
          kernel: host.KernelVersion ?? '',
          os_type: host.OSType ?? '',
          architecture: host.Architecture ?? '',
          default_runtime: host.DefaultRuntime ?? '',
          nvidia_runtime: Boolean(host.Runtimes && 'nvidia' in host.Runtimes),
        },
      }),
    ];
    for (const c of list) {
      rows.push(
        snapshotRow(ctx, {
          resource_id: c.Id,
          resource_type: 'container',
          name: nameOf(c),
          status: c.State,
          sku: c.Image,
          tags: c.Labels ?? {},
          created_at: c.Created * 1000,
          attributes: {
            host: host.Name,
            host_id: host.ID,
            image_id: c.ImageID ?? '',
            command: c.Command ?? '',
            status_text: c.Status ?? '',
          },
        }),
      );
    }
    return rows;
  },

  async performance(ctx) {
    const s = settingsOf(ctx, DockerSettingsSchema);
    if (!s.stats) return [];
    const running = (await containers(ctx)).filter((c) => c.State === 'running');
    const at = ctx.collect.now();
    const perContainer = await mapLimit(running, s.stats_concurrency, async (c) => {
      let data: unknown;
      try {
        data = await ctx.http.getJson<unknown>(
          `${ctx.baseUrl}/containers/${encodeURIComponent(c.Id)}/stats?stream=false`,
        );
      } catch (err) {
        if (isHttpStatus(err, 404)) return [];
        throw err;
      }
      const stats = parseResponse(ID, 'GET /containers/{id}/stats', StatsSchema, data);
      const ts = stats.read && !stats.read.startsWith('0001-') ? new Date(stats.read) : at;
      const when = Number.isNaN(ts.getTime()) ? at : ts;
      const base = { resource_id: c.Id, resource_name: nameOf(c), resource_type: 'container' };
      const points: PerformancePointInput[] = [];
      const cpu = cpuPercent(stats);
      if (cpu !== null)
        points.push(
          pointRow(ctx, when, {
            ...base,
            metric: 'cpu_utilization',
            unit: 'percent',
            value: round3(cpu),
            source_metric: 'cpu_stats.cpu_usage.total_usage',
          }),
        );
      const used = memoryUsed(stats);
      const limit = stats.memory_stats?.limit;
      if (used !== null) {
        points.push(
          pointRow(ctx, when, {
            ...base,
            metric: 'memory_used',
            unit: 'bytes',
            value: used,
            source_metric: 'memory_stats.usage - cache',
          }),
        );
        if (limit)
          points.push(
            pointRow(ctx, when, {
              ...base,
              metric: 'memory_utilization',
              unit: 'percent',
              value: round3((used / limit) * 100),
              source_metric: 'memory_stats.usage / limit',
            }),
          );
      }
      return points;
    });
    return perContainer.flat();
  },

  async test(ctx) {
    await info(ctx);
  },
};
