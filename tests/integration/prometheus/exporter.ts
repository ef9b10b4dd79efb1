import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * What the local exporter serves, in node_exporter's names and units. Gauges are constant;
 * counters grow linearly (value = rate × unix seconds) and carry that second as their
 * explicit timestamp, so rate() over any window is exactly the rate below and the points
 * a collection stores can be checked against what was served.
 */
export const NODE = {
  memTotalBytes: 68_719_476_736,
  memAvailableBytes: 17_179_869_184,
  load1: 3.5,
  filesystems: [
    {
      device: '/dev/nvme0n1p2',
      fstype: 'ext4',
      mountpoint: '/',
      size: 1_000_000_000_000,
      avail: 250_000_000_000,
      free: 300_000_000_000,
    },
    {
      device: 'tmpfs',
      fstype: 'tmpfs',
      mountpoint: '/run',
      size: 6_740_000_000,
      avail: 6_738_000_000,
      free: 6_738_000_000,
    },
  ],
  /** Idle seconds per second, per CPU. */
  cpuIdle: { '0': 0.75, '1': 0.25 } as Record<string, number>,
  cpuUser: { '0': 0.25, '1': 0.75 } as Record<string, number>,
  disks: { nvme0n1: { read: 5_000_000, written: 2_000_000 } } as Record<
    string,
    { read: number; written: number }
  >,
  interfaces: {
    eth0: { rx: 1_250_000, tx: 625_000 },
    lo: { rx: 100_000, tx: 100_000 },
  } as Record<string, { rx: number; tx: number }>,
};

/** One training pod as cAdvisor (kubelet) and kube-state-metrics describe it. */
export const POD = {
  namespace: 'ml-training',
  pod: 'llama-finetune-7d9f8b6c4-x2kqp',
  container: 'trainer',
  /** CPU seconds per second of the trainer container; the pause container and the pod cgroup must not add to it. */
  cpuCores: 3.5,
  pauseCpuCores: 0.001,
  workingSetBytes: 30_064_771_072,
  rxBytesPerSecond: 40_000_000,
  txBytesPerSecond: 2_500_000,
  requests: { cpu: 4, memory: 34_359_738_368, nvidia_com_gpu: 1 },
  limits: { cpu: 8, memory: 68_719_476_736, nvidia_com_gpu: 1 },
};

export const DCGM_FIXTURE = fileURLToPath(new URL('../../fixtures/dcgm/h100-two-gpus.txt', import.meta.url));

/** node_exporter's text exposition at `nowMs`, as node_exporter 1.8 writes these families. */
export function nodeExporterText(nowMs: number): string {
  const sec = Math.floor(nowMs / 1000);
  const ts = sec * 1000;
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.');
  for (const cpu of Object.keys(NODE.cpuIdle)) {
    lines.push(`node_cpu_seconds_total{cpu="${cpu}",mode="idle"} ${NODE.cpuIdle[cpu]! * sec} ${ts}`);
    lines.push(`node_cpu_seconds_total{cpu="${cpu}",mode="user"} ${NODE.cpuUser[cpu]! * sec} ${ts}`);
  }
  family('node_disk_read_bytes_total', 'counter', 'The total number of bytes read successfully.');
  for (const [device, d] of Object.entries(NODE.disks))
    lines.push(`node_disk_read_bytes_total{device="${device}"} ${d.read * sec} ${ts}`);
  family('node_disk_written_bytes_total', 'counter', 'The total number of bytes written successfully.');
  for (const [device, d] of Object.entries(NODE.disks))
    lines.push(`node_disk_written_bytes_total{device="${device}"} ${d.written * sec} ${ts}`);
  for (const [field, key] of [
    ['avail', 'node_filesystem_avail_bytes'],
    ['free', 'node_filesystem_free_bytes'],
    ['size', 'node_filesystem_size_bytes'],
  ] as const) {
    family(key, 'gauge', `Filesystem ${field} in bytes.`);
    for (const f of NODE.filesystems) {
      lines.push(
        `${key}{device="${f.device}",fstype="${f.fstype}",mountpoint="${f.mountpoint}"} ${f[field]}`,
      );
    }
  }
  family('node_load1', 'gauge', '1m load average.');
  lines.push(`node_load1 ${NODE.load1}`);
  family('node_memory_MemAvailable_bytes', 'gauge', 'Memory information field MemAvailable_bytes.');
  lines.push(`node_memory_MemAvailable_bytes ${NODE.memAvailableBytes}`);
  family('node_memory_MemTotal_bytes', 'gauge', 'Memory information field MemTotal_bytes.');
  lines.push(`node_memory_MemTotal_bytes ${NODE.memTotalBytes}`);
  family('node_network_receive_bytes_total', 'counter', 'Network device statistic receive_bytes.');
  for (const [device, n] of Object.entries(NODE.interfaces))
    lines.push(`node_network_receive_bytes_total{device="${device}"} ${n.rx * sec} ${ts}`);
  family('node_network_transmit_bytes_total', 'counter', 'Network device statistic transmit_bytes.');
  for (const [device, n] of Object.entries(NODE.interfaces))
    lines.push(`node_network_transmit_bytes_total{device="${device}"} ${n.tx * sec} ${ts}`);
  return `${lines.join('\n')}\n`;
}

/** cAdvisor and kube-state-metrics families for POD, as the kubelet and kube-state-metrics 2.x write them. */
export function kubernetesText(nowMs: number): string {
  const sec = Math.floor(nowMs / 1000);
  const ts = sec * 1000;
  const p = `namespace="${POD.namespace}",pod="${POD.pod}"`;
  const lines = [
    '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.',
    '# TYPE container_cpu_usage_seconds_total counter',
    `container_cpu_usage_seconds_total{container="${POD.container}",cpu="total",id="/kubepods/pod1/c1",image="ghcr.io/acme/trainer:2.3",name="c1",${p}} ${POD.cpuCores * sec} ${ts}`,
    `container_cpu_usage_seconds_total{container="POD",cpu="total",id="/kubepods/pod1/pause",image="registry.k8s.io/pause:3.9",name="pause",${p}} ${POD.pauseCpuCores * sec} ${ts}`,
    `container_cpu_usage_seconds_total{container="",cpu="total",id="/kubepods/pod1",image="",name="",${p}} ${(POD.cpuCores + POD.pauseCpuCores) * sec} ${ts}`,
    '# HELP container_memory_working_set_bytes Current working set in bytes.',
    '# TYPE container_memory_working_set_bytes gauge',
    `container_memory_working_set_bytes{container="${POD.container}",id="/kubepods/pod1/c1",image="ghcr.io/acme/trainer:2.3",name="c1",${p}} ${POD.workingSetBytes}`,
    `container_memory_working_set_bytes{container="",id="/kubepods/pod1",image="",name="",${p}} ${POD.workingSetBytes + 1_048_576}`,
    '# HELP container_network_receive_bytes_total Cumulative count of bytes received',
    '# TYPE container_network_receive_bytes_total counter',
    `container_network_receive_bytes_total{container="POD",id="/kubepods/pod1/pause",image="registry.k8s.io/pause:3.9",interface="eth0",name="pause",${p}} ${POD.rxBytesPerSecond * sec} ${ts}`,
    '# HELP container_network_transmit_bytes_total Cumulative count of bytes transmitted',
    '# TYPE container_network_transmit_bytes_total counter',
    `container_network_transmit_bytes_total{container="POD",id="/kubepods/pod1/pause",image="registry.k8s.io/pause:3.9",interface="eth0",name="pause",${p}} ${POD.txBytesPerSecond * sec} ${ts}`,
    '# HELP kube_pod_container_resource_requests The number of requested request resource by a container.',
    '# TYPE kube_pod_container_resource_requests gauge',
    `kube_pod_container_resource_requests{container="${POD.container}",node="gpu-node-1",resource="cpu",unit="core",${p}} ${POD.requests.cpu}`,
    `kube_pod_container_resource_requests{container="${POD.container}",node="gpu-node-1",resource="memory",unit="byte",${p}} ${POD.requests.memory}`,
    `kube_pod_container_resource_requests{container="${POD.container}",node="gpu-node-1",resource="nvidia_com_gpu",unit="integer",${p}} ${POD.requests.nvidia_com_gpu}`,
    '# HELP kube_pod_container_resource_limits The number of requested limit resource by a container.',
    '# TYPE kube_pod_container_resource_limits gauge',
    `kube_pod_container_resource_limits{container="${POD.container}",node="gpu-node-1",resource="cpu",unit="core",${p}} ${POD.limits.cpu}`,
    `kube_pod_container_resource_limits{container="${POD.container}",node="gpu-node-1",resource="memory",unit="byte",${p}} ${POD.limits.memory}`,
    `kube_pod_container_resource_limits{container="${POD.container}",node="gpu-node-1",resource="nvidia_com_gpu",unit="integer",${p}} ${POD.limits.nvidia_com_gpu}`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface LocalExporter {
  /** http://127.0.0.1:<port> */
  url: string;
  host: string;
  scrapes: { node: number; dcgm: number; k8s: number };
  /** When each path was first scraped (ms). */
  firstScrape: { node?: number; dcgm?: number; k8s?: number };
  close(): Promise<void>;
}

/** node_exporter at /node/metrics, dcgm-exporter at /dcgm/metrics, kubelet/kube-state at /k8s/metrics; on 127.0.0.1:0. */
export async function startExporter(): Promise<LocalExporter> {
  const dcgm = readFileSync(DCGM_FIXTURE, 'utf8');
  const scrapes = { node: 0, dcgm: 0, k8s: 0 };
  const firstScrape: LocalExporter['firstScrape'] = {};
  const server = createServer((req, res) => {
    const type = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' };
    const now = Date.now();
    const path =
      req.url === '/node/metrics'
        ? 'node'
        : req.url === '/dcgm/metrics'
          ? 'dcgm'
          : req.url === '/k8s/metrics'
            ? 'k8s'
            : null;
    if (path) {
      scrapes[path]++;
      firstScrape[path] ??= now;
      const body = path === 'node' ? nodeExporterText(now) : path === 'k8s' ? kubernetesText(now) : dcgm;
      res.writeHead(200, type).end(body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    scrapes,
    firstScrape,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
