/**
 * The one metric vocabulary every performance collector writes and the performance API
 * reads. A provider's own metric (CloudWatch `NetworkIn`, Cloud Monitoring
 * `instance/network/received_bytes_count`, Azure `Network In Total`, …) is converted to
 * the unit listed here and stored under the shared name, with the provider's name kept in
 * `source_metric`; so "network in" means bytes per second whichever cloud it came from.
 *
 * docs/metrics.md is generated from this table (`renderMetricsTable`) and a test keeps
 * the two identical.
 */

/** Normalised units. Percentages are 0–100 (never 0–1 ratios); rates are per second. */
export const METRIC_UNITS = {
  percent: 'percent, 0–100',
  bytes: 'bytes',
  bytes_per_second: 'bytes per second',
  ms: 'milliseconds',
  count: 'a count (dimensionless)',
} as const;
export type MetricUnit = keyof typeof METRIC_UNITS;

/** Providers with a column in the vocabulary table. */
export const VOCABULARY_PROVIDERS = ['aws', 'gcp', 'azure', 'vultr', 'local', 'prometheus'] as const;
export type VocabularyProvider = (typeof VOCABULARY_PROVIDERS)[number];

export interface MetricDefinition {
  readonly unit: MetricUnit;
  /** What the number means, including how a period's value is formed. */
  readonly meaning: string;
  /** What `dimension` holds for this metric ('' = one series per resource). */
  readonly dimension: string;
  /** The provider metric(s) it is computed from, and how. Absent: not collected there. */
  readonly sources: Readonly<Partial<Record<VocabularyProvider, string>>>;
}

export const METRICS = {
  cpu_utilization: {
    unit: 'percent',
    meaning: 'Share of the vCPUs busy, averaged over the period.',
    dimension: '',
    sources: {
      aws: '`AWS/EC2` and `AWS/RDS` `CPUUtilization`, Average',
      gcp: '`compute.googleapis.com/instance/cpu/utilization` (ratio), ALIGN_MEAN × 100',
      azure: '`Percentage CPU`, Average',
      local: '`systeminformation.currentLoad().currentLoad`',
    },
  },
  memory_utilization: {
    unit: 'percent',
    meaning: 'Share of memory in use (total minus available).',
    dimension: '',
    sources: { local: '`mem.total − mem.available` over `mem.total`' },
  },
  memory_used: {
    unit: 'bytes',
    meaning: 'Memory in use (total minus available).',
    dimension: '',
    sources: { local: '`mem.total − mem.available`' },
  },
  memory_available: {
    unit: 'bytes',
    meaning: 'Memory available to new work, averaged over the period.',
    dimension: '',
    sources: { azure: '`Available Memory Bytes`, Average' },
  },
  disk_utilization: {
    unit: 'percent',
    meaning: 'Share of a filesystem’s capacity used.',
    dimension: 'mount point',
    sources: { local: '`fsSize().use`' },
  },
  disk_used: {
    unit: 'bytes',
    meaning: 'Bytes used on a filesystem.',
    dimension: 'mount point',
    sources: { local: '`fsSize().used`' },
  },
  disk_read: {
    unit: 'bytes_per_second',
    meaning: 'Bytes read from disks, averaged over the period.',
    dimension: "AWS: `ebs` or `instance_store`; GCP: device name; Azure: '' (all disks)",
    sources: {
      aws: '`AWS/EC2` `EBSReadBytes` (dimension `ebs`) and `DiskReadBytes` (`instance_store`), Sum ÷ period seconds',
      gcp: '`compute.googleapis.com/instance/disk/read_bytes_count`, ALIGN_RATE',
      azure: '`Disk Read Bytes`, Total ÷ interval seconds',
    },
  },
  disk_write: {
    unit: 'bytes_per_second',
    meaning: 'Bytes written to disks, averaged over the period.',
    dimension: 'as `disk_read`',
    sources: {
      aws: '`AWS/EC2` `EBSWriteBytes` (`ebs`) and `DiskWriteBytes` (`instance_store`), Sum ÷ period seconds',
      gcp: '`compute.googleapis.com/instance/disk/write_bytes_count`, ALIGN_RATE',
      azure: '`Disk Write Bytes`, Total ÷ interval seconds',
    },
  },
  network_in: {
    unit: 'bytes_per_second',
    meaning: 'Bytes received on all interfaces, averaged over the period.',
    dimension: "local: interface; others: ''",
    sources: {
      aws: '`AWS/EC2` `NetworkIn`, Sum ÷ period seconds',
      gcp: '`compute.googleapis.com/instance/network/received_bytes_count`, ALIGN_RATE, summed over series of one instance',
      azure: '`Network In Total`, Total ÷ interval seconds',
      vultr:
        '`GET /v2/instances/{id}/bandwidth` `incoming_bytes` of a day ÷ seconds of that day elapsed (period `P1D`)',
      local: '`networkStats().rx_sec`',
    },
  },
  network_out: {
    unit: 'bytes_per_second',
    meaning: 'Bytes sent on all interfaces, averaged over the period.',
    dimension: 'as `network_in`',
    sources: {
      aws: '`AWS/EC2` `NetworkOut`, Sum ÷ period seconds',
      gcp: '`compute.googleapis.com/instance/network/sent_bytes_count`, ALIGN_RATE, summed over series of one instance',
      azure: '`Network Out Total`, Total ÷ interval seconds',
      vultr:
        '`GET /v2/instances/{id}/bandwidth` `outgoing_bytes` of a day ÷ seconds of that day elapsed (period `P1D`)',
      local: '`networkStats().tx_sec`',
    },
  },
  status_check_failed: {
    unit: 'count',
    meaning: '1 if any instance or system status check failed during the period, else 0.',
    dimension: '',
    sources: { aws: '`AWS/EC2` `StatusCheckFailed`, Maximum' },
  },
  db_connections: {
    unit: 'count',
    meaning: 'Client connections open to a database, averaged over the period.',
    dimension: '',
    sources: { aws: '`AWS/RDS` `DatabaseConnections`, Average' },
  },
  storage_free: {
    unit: 'bytes',
    meaning: 'Free storage space, averaged over the period.',
    dimension: '',
    sources: { aws: '`AWS/RDS` `FreeStorageSpace`, Average' },
  },
  read_latency: {
    unit: 'ms',
    meaning: 'Average time per disk read operation.',
    dimension: '',
    sources: { aws: '`AWS/RDS` `ReadLatency` (seconds), Average × 1000' },
  },
  write_latency: {
    unit: 'ms',
    meaning: 'Average time per disk write operation.',
    dimension: '',
    sources: { aws: '`AWS/RDS` `WriteLatency` (seconds), Average × 1000' },
  },
  load_average_1m: {
    unit: 'count',
    meaning: 'One-minute load average (runnable tasks).',
    dimension: '',
    sources: { local: '`currentLoad().avgLoad`' },
  },
  gpu_utilization: {
    unit: 'percent',
    meaning: 'Share of time a GPU’s kernels were running.',
    dimension: 'GPU index or UUID',
    sources: { prometheus: '`DCGM_FI_DEV_GPU_UTIL`' },
  },
  gpu_memory_used: {
    unit: 'bytes',
    meaning: 'GPU frame-buffer memory in use.',
    dimension: 'GPU index or UUID',
    sources: { prometheus: '`DCGM_FI_DEV_FB_USED` (MiB) × 1048576' },
  },
  gpu_memory_utilization: {
    unit: 'percent',
    meaning: 'GPU frame-buffer memory in use over total.',
    dimension: 'GPU index or UUID',
    sources: { prometheus: '`DCGM_FI_DEV_FB_USED` ÷ (`FB_USED` + `FB_FREE`) × 100' },
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

/** The unit a metric is stored in. */
export function metricUnit(name: MetricName): MetricUnit {
  return METRICS[name].unit;
}

const PROVIDER_HEADINGS: Record<VocabularyProvider, string> = {
  aws: 'AWS',
  gcp: 'GCP',
  azure: 'Azure',
  vultr: 'Vultr',
  local: 'local',
  prometheus: 'Prometheus (DCGM)',
};

/** The Markdown table in docs/metrics.md, rendered from METRICS. */
export function renderMetricsTable(): string {
  const cell = (s: string | undefined) => (s ?? '—').replace(/\|/g, '\\|');
  const head = [
    'name',
    'unit',
    'meaning',
    'dimension',
    ...VOCABULARY_PROVIDERS.map((p) => PROVIDER_HEADINGS[p]),
  ];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const name of METRIC_NAMES) {
    const m: MetricDefinition = METRICS[name];
    lines.push(
      `| \`${name}\` | ${m.unit} | ${cell(m.meaning)} | ${cell(m.dimension || undefined)} | ${VOCABULARY_PROVIDERS.map((p) => cell(m.sources[p])).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
