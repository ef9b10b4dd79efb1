import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createWriter } from '../../../lib/clickhouse/writer';
import { runCollection } from '../../../lib/collector/run';
import { staticConnections } from '../../../lib/connections/source';
import { ConfigError } from '../../../lib/errors';
import { ADAPTERS } from '../../../lib/providers/adapters';
import { GENERIC_PROVIDERS } from '../../../lib/providers/generic';
import { loadCatalog, parseCatalog } from '../../../lib/providers/generic/catalog';
import { checkAdapterCatalog, checkConnectionsFile } from '../../../lib/providers/generic/validate';
import { createRegistry } from '../../../lib/providers/registry';
import { silentLogger, testStore } from '../../helpers/store';

const SHIPPED = readFileSync(new URL('../../../providers.yaml', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'optiinfra-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: mutating parsed YAML in table-driven cases
type Raw = any;
const mutated = (change: (c: Raw) => void): string => {
  const c = parseYaml(SHIPPED) as Raw;
  change(c);
  return stringify(c);
};

describe('providers.yaml', () => {
  it('ships the catalog the architecture names, each with a category and a performance collector', () => {
    const catalog = parseCatalog(SHIPPED, 'providers.yaml');
    const ids = catalog.providers.map((p) => p.id);
    for (const id of [
      'runpod',
      'lambdalabs',
      'coreweave',
      'digitalocean',
      'linode',
      'hetzner',
      'paperspace',
      'ovh',
      'kubernetes',
      'docker',
      'onprem',
      'prometheus',
    ]) {
      expect(ids).toContain(id);
    }
    expect(Object.keys(catalog.query_sets).sort()).toEqual(['dcgm', 'kubernetes', 'node_exporter']);
    const registry = createRegistry();
    for (const id of ids) {
      expect(registry.get(id)?.category).toBe(catalog.providers.find((p) => p.id === id)?.category);
      expect(registry.dataTypes(id)).toContain('performance');
    }
    expect(GENERIC_PROVIDERS.map((p) => p.id)).toEqual(ids);
  });

  it('agrees with every API adapter this build ships (ids, secrets, categories)', () => {
    expect(checkAdapterCatalog(parseCatalog(SHIPPED, 'providers.yaml'), ADAPTERS)).toEqual([]);
  });

  it('reports an adapter the catalog does not know, or whose secrets differ', () => {
    const catalog = parseCatalog(SHIPPED, 'providers.yaml');
    expect(
      checkAdapterCatalog(catalog, [
        { id: 'runpod', category: 'gpu_cloud', secretNames: ['api_token'] },
        { id: 'hetzner', category: 'gpu_cloud', secretNames: ['token'] },
        { id: 'fluidstack', category: 'gpu_cloud', secretNames: ['api_key'] },
      ]),
    ).toEqual([
      'providers.yaml: runpod.auth.secrets is [api_key] but the runpod adapter reads [api_token]',
      'providers.yaml: hetzner.category is general_compute but the hetzner adapter says gpu_cloud',
      'adapter "fluidstack" has no entry in providers.yaml (add one with id: fluidstack)',
    ]);
  });

  it.each([
    [
      'an unknown category',
      (c: Raw) => {
        c.providers[0].category = 'gpu';
      },
      'providers.yaml: providers[0].category: Invalid option: expected one of "hyperscaler"|"gpu_cloud"|"general_compute"|"self_hosted"|"observability"',
    ],
    [
      'a missing display name',
      (c: Raw) => {
        delete c.providers[2].display_name;
      },
      'providers.yaml: providers[2].display_name: Invalid input: expected string, received undefined',
    ],
    [
      'a misspelt key',
      (c: Raw) => {
        c.providers[1].query_set = ['dcgm'];
      },
      'providers.yaml: providers[1]: Unrecognized key: "query_set"',
    ],
    [
      'a query set nobody defined',
      (c: Raw) => {
        c.providers[1].query_sets = ['node_exporter', 'gpu_magic'];
      },
      'providers.yaml: providers[1].query_sets[1]: unknown query set "gpu_magic" (defined: node_exporter, dcgm, kubernetes)',
    ],
    [
      'a duplicate provider id',
      (c: Raw) => {
        c.providers[3].id = 'runpod';
      },
      'providers.yaml: providers[3].id: duplicate id "runpod" (also providers[0])',
    ],
    [
      'a provider that has its own module',
      (c: Raw) => {
        c.providers[0].id = 'aws';
      },
      'providers.yaml: providers[0].id: "aws" has a module of its own (lib/providers/aws); the catalog lists providers collected through Prometheus and API adapters',
    ],
    [
      'the reserved id "all"',
      (c: Raw) => {
        c.providers[4].id = 'all';
      },
      'providers.yaml: providers[4].id: "all" is reserved: APIs use it for every provider',
    ],
    [
      'an API endpoint that is not a URL',
      (c: Raw) => {
        c.providers[0].endpoints.api = 'api.runpod.io';
      },
      'providers.yaml: providers[0].endpoints.api: must be an http(s) URL of the provider (e.g. https://api.example.com/v1), got "api.runpod.io"',
    ],
    [
      'an unknown auth style',
      (c: Raw) => {
        c.providers[7].auth.style = 'hmac';
      },
      'providers.yaml: providers[7].auth.style: Invalid option: expected one of "none"|"bearer_token"|"basic"|"api_key_header"|"oauth2_client_credentials"|"request_signature"|"kubernetes_token"|"docker_engine"',
    ],
    [
      'an unknown PromQL variable',
      (c: Raw) => {
        c.query_sets.node_exporter.queries[0].query = 'rate(node_cpu_seconds_total[$__range])';
      },
      'providers.yaml: query_sets.node_exporter.queries[0].query: unknown variable $__range (known: $__selector, $__interval, $__rate_interval)',
    ],
    [
      'a malformed label template',
      (c: Raw) => {
        c.query_sets.dcgm.resource_id = ['{Hostname'];
      },
      'providers.yaml: query_sets.dcgm.resource_id[0]: "{Hostname" has an unbalanced or malformed {label} placeholder',
    ],
    [
      'a metric name outside the vocabulary rules',
      (c: Raw) => {
        c.query_sets.dcgm.queries[0].metric = 'GPU Util';
      },
      'providers.yaml: query_sets.dcgm.queries[0].metric: must be a metric name of lower-case letters, digits, _ or . (e.g. gpu_utilization)',
    ],
    [
      'a query id used twice',
      (c: Raw) => {
        c.query_sets.kubernetes.queries[0].id = 'node_load1';
      },
      'providers.yaml: query_sets.kubernetes.queries[0].id: duplicate query id "node_load1" (also in query set node_exporter); ids are unique across sets so that connections can name them',
    ],
    [
      'an unsupported version',
      (c: Raw) => {
        c.version = 2;
      },
      'providers.yaml: version: must be 1',
    ],
  ])('rejects %s with the file, the path and the problem', (_name, change, message) => {
    expect(() => parseCatalog(mutated(change), 'providers.yaml')).toThrow(new ConfigError(message));
  });

  it('names the file it could not parse or read', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'version: 1\nproviders: [\n  - id: x\n');
    expect(() => loadCatalog(broken)).toThrow(
      new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML: `),
    );
    expect(() => loadCatalog(join(dir, 'missing.yaml'))).toThrow(
      /missing\.yaml: cannot read the provider catalog: ENOENT/,
    );
  });

  it('adding a Prometheus-only provider is an entry, nothing else', () => {
    const text = mutated((c) => {
      c.providers.push({
        id: 'tensordock',
        display_name: 'TensorDock',
        category: 'gpu_cloud',
        query_sets: ['node_exporter', 'dcgm'],
      });
    });
    const catalog = parseCatalog(text, 'providers.yaml');
    expect(catalog.providers.at(-1)).toMatchObject({
      id: 'tensordock',
      auth: { style: 'none', secrets: [] },
      endpoints: {},
    });
  });
});

describe('connection settings', () => {
  it('fails a run whose settings are wrong with a message naming the field', async () => {
    const store = await testStore();
    const result = await runCollection(
      {
        taskId: randomUUID(),
        customerId: 'cfg-bad',
        provider: 'runpod',
        dataTypes: ['performance'],
        trigger: 'manual',
        queuedAt: new Date().toISOString(),
      },
      {
        store,
        writer: createWriter(store),
        registry: createRegistry(),
        connections: staticConnections([
          {
            id: 'main',
            customerId: 'cfg-bad',
            provider: 'runpod',
            enabled: true,
            settings: { prometheus: { url: 'prom.internal:9090' } },
            secrets: {},
            source: 'config',
          },
        ]),
        logger: silentLogger(),
        retry: { maxAttempts: 1, baseMs: 1, capMs: 1 },
        maxBackfillMs: 3_600_000,
      },
    );
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(
      'invalid settings for connection "main": prometheus.url: must be an http(s) URL of the Prometheus server (before /api/v1), got "prom.internal:9090"',
    );
  });

  it('checks a connections file at start-up or deploy, naming the file, the path and each problem', () => {
    const file = join(dir, 'connections.yaml');
    writeFileSync(
      file,
      stringify({
        connections: [
          {
            customer_id: 'acme',
            provider: 'runpod',
            settings: {
              prometheus: {
                url: 'https://prom.acme.example',
                auth: { type: 'bearer', token_secret: 'prom_token' },
              },
            },
            secrets: { prom_token: 'env:ACME_PROM_TOKEN' },
          },
          {
            customer_id: 'acme',
            provider: 'onprem',
            settings: { prometeus: { url: 'https://prom.acme.example' } },
          },
          {
            customer_id: 'acme',
            provider: 'lambdalabs',
            settings: {
              prometheus: {
                url: 'https://prom.acme.example',
                auth: { type: 'basic', username: 'ops', password_secret: 'prom_pw' },
              },
            },
          },
          {
            customer_id: 'acme',
            provider: 'coreweave',
            settings: { prometheus: { url: 'https://prom.acme.example', exclude: ['cpu_utilization'] } },
          },
          {
            customer_id: 'acme',
            provider: 'vastai',
            settings: { dcgm: { urls: ['http://gpu-1:9400/metrics', 'gpu-2:9400'] } },
          },
          { customer_id: 'acme', provider: 'fluidstack', settings: {} },
          {
            customer_id: 'acme',
            provider: 'docker',
            settings: { prometheus: { url: 'https://prom.acme.example', step: '1d' } },
          },
        ],
      }),
    );
    let message = '';
    try {
      checkConnectionsFile(file, createRegistry());
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message.split('; ')).toEqual([
      `${file}: connections[1].settings: Unrecognized key: "prometeus"`,
      `${file}: connections[1].settings.prometheus: set prometheus.url (and/or dcgm.url): a connection to On-premises needs at least one source`,
      `${file}: connections[2].settings.prometheus.auth.password_secret: names secret "prom_pw", but secrets: has no such entry`,
      `${file}: connections[3].settings.prometheus.exclude[0]: no default query "cpu_utilization" to exclude (defaults: ${[
        'node_cpu_utilization',
        'node_load1',
        'node_memory_utilization',
        'node_memory_used',
        'node_disk_utilization',
        'node_disk_used',
        'node_disk_read',
        'node_disk_write',
        'node_network_in',
        'node_network_out',
        'dcgm_gpu_utilization',
        'dcgm_memory_copy_utilization',
        'dcgm_memory_used',
        'dcgm_memory_free',
        'dcgm_memory_utilization',
        'dcgm_power',
        'dcgm_temperature',
        'dcgm_memory_temperature',
        'dcgm_sm_clock',
        'dcgm_memory_clock',
        'dcgm_graphics_engine_active',
        'dcgm_sm_active',
        'dcgm_sm_occupancy',
        'dcgm_tensor_active',
        'dcgm_dram_active',
        'dcgm_xid_error',
        'k8s_pod_cpu_usage',
        'k8s_pod_memory_used',
        'k8s_pod_network_in',
        'k8s_pod_network_out',
        'k8s_pod_cpu_requests',
        'k8s_pod_cpu_limits',
        'k8s_pod_memory_requests',
        'k8s_pod_memory_limits',
        'k8s_pod_gpu_requests',
      ].join(', ')})`,
      `${file}: connections[4].settings.dcgm.urls[1]: must be an http(s) URL of a dcgm-exporter /metrics endpoint, got "gpu-2:9400"`,
      `${file}: connections[5].provider: unknown provider "fluidstack" (known: ${createRegistry()
        .list()
        .map((d) => d.id)
        .join(', ')})`,
      `${file}: connections[6].settings.prometheus.step: must be a duration such as "30s", "1m" or "500ms", got "1d"`,
    ]);
  });

  it('passes a correct connections file without needing the secrets themselves', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(
      file,
      stringify({
        connections: [
          {
            customer_id: 'acme',
            provider: 'onprem',
            id: 'dc1',
            settings: {
              prometheus: {
                url: 'https://prom.dc1.acme.example',
                auth: { type: 'bearer', token_secret: 'prom_token' },
                step: '30s',
                selector: 'datacenter="dc1"',
              },
            },
            secrets: { prom_token: 'env:ACME_DC1_PROM_TOKEN' },
          },
          {
            customer_id: 'acme',
            provider: 'runpod',
            settings: { dcgm: { urls: ['http://10.1.0.4:9400/metrics'] }, region: 'EU-RO-1' },
          },
        ],
      }),
    );
    expect(checkConnectionsFile(file, createRegistry())).toEqual({ connections: 2 });
  });
});
