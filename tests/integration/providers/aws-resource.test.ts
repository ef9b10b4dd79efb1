import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import type { Connection } from '../../../lib/collector/types';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import { awsAccount, decodeAwsCall, xml } from '../../helpers/aws-fake';
import { collectionRuntime, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = ['awsr-full', 'awsr-throttle', 'awsr-midway', 'awsr-types'];
const NOW = '2026-11-20T12:02:00.000Z';
const LATER = '2026-11-20T12:17:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections: Connection[] = CUSTOMERS.map((customerId) => ({
    id: 'aws-main',
    customerId,
    provider: 'aws',
    enabled: true,
    settings: { regions: ['us-east-1', 'eu-west-1'], endpoint: server.url },
    secrets: {
      access_key_id: 'TESTACCESSKEYID00001',
      secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    source: 'config',
  }));
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

interface Row {
  resource_id: string;
  resource_type: string;
  name: string;
  status: string;
  region: string;
  zone: string;
  sku: string;
  vcpus: number | null;
  memory_gib: number | null;
  gpu_count: number;
  gpu_model: string;
  tags: Record<string, string>;
  created_at: string | null;
  hourly_price: string | null;
  attributes: string;
  complete: number;
}

async function snapshot(customerId: string, at: string): Promise<Row[]> {
  return rows<Row>(
    store,
    `SELECT resource_id, resource_type, name, status, region, zone, sku, vcpus, memory_gib, gpu_count, gpu_model, tags,
            toString(created_at) AS created_at, toString(hourly_price) AS hourly_price, attributes, complete
     FROM resource_snapshots FINAL
     WHERE customer_id = {c:String} AND snapshot_at = {t:DateTime64(3, 'UTC')}
     ORDER BY region, resource_type, resource_id`,
    { c: customerId, t: at.replace('T', ' ').replace('Z', '') },
  );
}

const count = (rs: Row[]) =>
  rs.reduce<Record<string, number>>((acc, r) => {
    const k = `${r.region}:${r.resource_type}`;
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

describe('AWS inventory collector (real EC2/RDS/EKS/ELBv2 SDKs against an AWS stand-in)', () => {
  it('collects instances with their type’s size and GPUs, volumes, databases, clusters and load balancers, across pages and regions', async () => {
    server.handle(awsAccount());
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'awsr-full',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');

    const snap = await snapshot('awsr-full', NOW);
    expect(count(snap)).toEqual({
      'eu-west-1:vm': 2,
      'us-east-1:database': 3,
      'us-east-1:disk': 2,
      'us-east-1:kubernetes_cluster': 1,
      'us-east-1:load_balancer': 1,
      // 90 running + 1 stopped; the terminated one is not inventory.
      'us-east-1:vm': 91,
    });
    expect(result.rows).toEqual({ resource: 100 });
    expect(snap.every((r) => r.complete === 1)).toBe(true);
    // The instance list is unfiltered and paged; instance types are asked once per region.
    const calls = server.requests.map(decodeAwsCall);
    expect(
      calls
        .filter((c) => c.action === 'DescribeInstances' && c.region === 'us-east-1')
        .map((c) => c.form.get('NextToken')),
    ).toEqual([null, 'eyJ2IjoiMiIsImMiOiJwYWdlMiJ9']);
    expect(calls.find((c) => c.action === 'DescribeInstances')?.form.get('Filter.1.Name')).toBeNull();
    const typesCall = calls.find((c) => c.action === 'DescribeInstanceTypes' && c.region === 'us-east-1');
    expect(
      [...(typesCall?.form.entries() ?? [])].filter(([k]) => k.startsWith('InstanceType.')).map(([, v]) => v),
    ).toEqual(['c6gd.2xlarge', 'g5.xlarge', 'm5.large', 't3.micro']);

    const byName = Object.fromEntries(snap.map((r) => [r.name, r]));
    expect(byName['infer-67']).toMatchObject({
      resource_id: 'i-00000000000000043',
      resource_type: 'vm',
      status: 'running',
      region: 'us-east-1',
      zone: 'us-east-1a',
      sku: 'g5.xlarge',
      vcpus: 4,
      memory_gib: 16,
      gpu_count: 1,
      gpu_model: 'NVIDIA A10G',
      tags: { Name: 'infer-67', team: 'ml' },
      // The primary interface's attach time, stable across stop/start (launchTime is 2026-11-19).
      created_at: '2026-05-14 07:11:00.000',
      hourly_price: null,
    });
    expect(JSON.parse(byName['infer-67']?.attributes ?? '{}')).toEqual({
      kind: 'ec2_instance',
      lifecycle: 'spot',
      architecture: 'x86_64',
      platform: 'Linux/UNIX',
      image_id: 'ami-0a1b2c3d4e5f60718',
      vpc_id: 'vpc-0a1b2c3d4e5f67890',
      instance_storage_gb: 250,
      gpu_memory_mib: 24576,
    });
    expect(byName['train-paused']).toMatchObject({ status: 'stopped', gpu_count: 1 });
    expect(byName['api-01']).toMatchObject({ vcpus: 2, memory_gib: 8, gpu_count: 0, gpu_model: '' });
    expect(byName['api-01-root']).toMatchObject({
      resource_type: 'disk',
      status: 'in_use',
      sku: 'gp3',
      zone: 'us-east-1a',
      created_at: '2026-03-02 09:15:00.000',
    });
    expect(JSON.parse(byName['api-01-root']?.attributes ?? '{}')).toEqual({
      kind: 'ebs_volume',
      size_gib: 100,
      iops: 3000,
      throughput_mibps: 125,
      encrypted: true,
      attached_to: ['i-00000000000000001'],
    });
    expect(byName['datasets-scratch']).toMatchObject({
      status: 'available',
      sku: 'st1',
      tags: { Name: 'datasets-scratch', team: 'ml' },
    });
    expect(byName['orders-db']).toMatchObject({
      resource_id: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
      resource_type: 'database',
      status: 'available',
      sku: 'db.r6g.large',
      zone: 'us-east-1a',
      tags: { team: 'platform' },
      created_at: '2025-05-10 11:20:00.000',
    });
    expect(JSON.parse(byName['vector-db']?.attributes ?? '{}')).toMatchObject({
      engine: 'postgres',
      storage_gib: 500,
      multi_az: false,
    });
    expect(byName['ml-inference']).toMatchObject({
      resource_id: 'arn:aws:eks:us-east-1:123456789012:cluster/ml-inference',
      resource_type: 'kubernetes_cluster',
      status: 'active',
      sku: '1.31',
      tags: { team: 'ml', env: 'prod' },
      created_at: '2026-01-01 00:00:00.123',
    });
    expect(byName['api-public']).toMatchObject({
      resource_type: 'load_balancer',
      status: 'active',
      sku: 'application',
      created_at: '2025-11-04 10:30:00.000',
    });
    expect(JSON.parse(byName['api-public']?.attributes ?? '{}')).toEqual({
      kind: 'elbv2',
      scheme: 'internet-facing',
      vpc_id: 'vpc-0a1b2c3d4e5f67890',
      zones: ['us-east-1a', 'us-east-1b'],
    });
  });

  it('retries throttled EC2 and RDS calls, then succeeds', async () => {
    let ec2 = 0;
    let rds = 0;
    server.handle(
      awsAccount((call) => {
        if (call.action === 'DescribeVolumes' && ec2 < 2) {
          ec2++;
          return xml('ec2-error-request-limit-exceeded.xml', 503);
        }
        if (call.action === 'DescribeDBInstances' && call.form.get('Marker') && rds < 1) {
          rds++;
          return xml('rds-error-throttling.xml', 400);
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'awsr-throttle',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect([ec2, rds]).toEqual([2, 1]);
    expect(result.rows).toEqual({ resource: 100 });
  });

  it('marks the snapshot incomplete when a page keeps failing mid-way, and reports no deletions from it', async () => {
    server.handle(awsAccount());
    await runJob(runtime, { customerId: 'awsr-midway', provider: 'aws', dataTypes: ['resource'], now: NOW });
    server.handle(
      awsAccount((call) =>
        call.action === 'DescribeInstances' && call.form.get('NextToken')
          ? xml('ec2-error-request-limit-exceeded.xml', 503)
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'awsr-midway',
      provider: 'aws',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      'aws collection incomplete, 1 failed: us-east-1 ec2:DescribeInstances page 2: RequestLimitExceeded: Request limit exceeded.',
    );
    const snap = await snapshot('awsr-midway', LATER);
    expect(count(snap)).toMatchObject({ 'us-east-1:vm': 50, 'eu-west-1:vm': 2, 'us-east-1:disk': 2 });
    expect(snap.every((r) => r.complete === 0)).toBe(true);
    expect(
      await rows(store, `SELECT * FROM resource_changes FINAL WHERE customer_id = 'awsr-midway'`),
    ).toEqual([]);
    expect(await latestSnapshot(store, { customerId: 'awsr-midway', provider: 'aws' })).toEqual({
      snapshotAt: '2026-11-20 12:17:00.000',
      complete: false,
      resources: 59,
    });
  });

  it('leaves out instances whose type could not be described, instead of writing them without a size', async () => {
    server.handle(
      awsAccount((call) =>
        call.action === 'DescribeInstanceTypes' && call.region === 'eu-west-1'
          ? xml('ec2-error-unauthorized-operation.xml', 403)
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'awsr-types',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(
      /^aws collection incomplete, 1 failed: eu-west-1 ec2:DescribeInstanceTypes: UnauthorizedOperation/,
    );
    const snap = await snapshot('awsr-types', NOW);
    expect(count(snap)['eu-west-1:vm']).toBeUndefined();
    expect(count(snap)['us-east-1:vm']).toBe(91);
  });
});
