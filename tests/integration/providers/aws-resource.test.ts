import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { clearAwsPriceCache } from '../../../lib/providers/aws/prices';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import { awsAccount, awsJson11, decodeAwsCall, xml } from '../../helpers/aws-fake';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { type SnapshotRow, snapshotRows } from '../../helpers/snapshots';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = [
  'awsr-full',
  'awsr-throttle',
  'awsr-midway',
  'awsr-types',
  'awsr-price-throttle',
  'awsr-price-down',
  'awsr-price-bad',
  'awsr-price-cache',
];
const NOW = '2026-11-20T12:02:00.000Z';
const LATER = '2026-11-20T12:17:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor(
    'aws',
    CUSTOMERS,
    { regions: ['us-east-1', 'eu-west-1'], endpoint: server.url },
    {
      access_key_id: 'TESTACCESSKEYID00001',
      secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
  );
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());
// Prices are cached per process for a day; each test starts without them.
beforeEach(() => clearAwsPriceCache());

const snapshot = (customerId: string, at: string) => snapshotRows(store, customerId, at, 'region-type-id');

const count = (rs: SnapshotRow[]) =>
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
    // The Price List is asked once per region × type in use (pages followed), from us-east-1.
    const priceCalls = calls.filter((c) => c.action === 'GetProducts');
    expect(new Set(priceCalls.map((c) => `${c.service} ${c.region}`))).toEqual(
      new Set(['pricing us-east-1']),
    );
    expect(
      priceCalls.map((c) => {
        const q = c.json as {
          ServiceCode: string;
          Filters: { Field: string; Value: string }[];
          NextToken?: string;
        };
        const f = Object.fromEntries(q.Filters.map((x) => [x.Field, x.Value]));
        return `${q.ServiceCode} ${f.regionCode} ${f.instanceType}${q.NextToken ? ' (next page)' : ''}`;
      }),
    ).toEqual([
      'AmazonEC2 us-east-1 c6gd.2xlarge',
      'AmazonEC2 us-east-1 g5.xlarge',
      'AmazonEC2 us-east-1 m5.large',
      'AmazonEC2 us-east-1 m5.large (next page)',
      'AmazonEC2 us-east-1 t3.micro',
      'AmazonRDS us-east-1 db.r6g.large',
      'AmazonRDS us-east-1 db.r6g.xlarge',
      'AmazonRDS us-east-1 db.t4g.medium',
      'AmazonEC2 eu-west-1 g5.xlarge',
      'AmazonEC2 eu-west-1 m5.large',
    ]);

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
      // The on-demand list price of a Linux g5.xlarge in us-east-1, although it runs as Spot.
      hourly_price: '1.006',
      price_currency: 'USD',
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
    expect(byName['api-01']).toMatchObject({
      vcpus: 2,
      memory_gib: 8,
      gpu_count: 0,
      gpu_model: '',
      hourly_price: '0.096',
      price_currency: 'USD',
    });
    // Every instance is priced from its type, platform (Linux/UNIX) and tenancy (shared).
    const usEastPrices = snap
      .filter((r) => r.resource_type === 'vm' && r.region === 'us-east-1')
      .reduce<Record<string, string[]>>((acc, r) => {
        acc[r.sku] = [...new Set([...(acc[r.sku] ?? []), String(r.hourly_price)])];
        return acc;
      }, {});
    expect(usEastPrices).toEqual({
      'c6gd.2xlarge': ['0.3072'],
      'g5.xlarge': ['1.006'],
      'm5.large': ['0.096'],
      't3.micro': ['0.0104'],
    });
    expect(byName['eu-infer-1']).toMatchObject({ sku: 'g5.xlarge', hourly_price: '1.123' });
    expect(byName['eu-api-1']).toMatchObject({ sku: 'm5.large', hourly_price: '0.107' });
    // EBS volumes are priced per GB-month, not per hour.
    expect(byName['api-01-root']).toMatchObject({ hourly_price: null, price_currency: '' });
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
      // From the EC2 type its class is built on (r6g.large), and PostgreSQL Multi-AZ's price.
      vcpus: 2,
      memory_gib: 16,
      hourly_price: '0.45',
      price_currency: 'USD',
    });
    expect(byName['features-db']).toMatchObject({ vcpus: 2, memory_gib: 4, hourly_price: '0.065' });
    expect(byName['vector-db']).toMatchObject({ vcpus: 4, memory_gib: 32, hourly_price: '0.449' });
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
      tags: { team: 'platform', env: 'prod' },
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

  it('retries a throttled Price List query, then prices the instances', async () => {
    let throttled = 0;
    server.handle(
      awsAccount((call) => {
        if (call.action === 'GetProducts' && throttled < 2) {
          throttled++;
          return awsJson11({ __type: 'ThrottlingException', Message: 'Rate exceeded' }, 400);
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'awsr-price-throttle',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(throttled).toBe(2);
    const snap = await snapshot('awsr-price-throttle', NOW);
    expect(snap.filter((r) => r.resource_type === 'vm' && r.hourly_price === null)).toEqual([]);
  });

  it('keeps the inventory complete when the Price List is down: prices unknown, a warning, deletions still reported, no price changes', async () => {
    server.handle(awsAccount());
    const first = await runJob(runtime, {
      customerId: 'awsr-price-down',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(first.status).toBe('succeeded');
    clearAwsPriceCache();
    // Later: the Price List fails for every query and eu-api-1 is gone.
    server.handle(
      awsAccount((call) => {
        if (call.action === 'GetProducts')
          return awsJson11({ __type: 'InternalServerException', Message: 'internal error' }, 500);
        if (call.action === 'DescribeInstances' && call.region === 'eu-west-1') {
          const text = xml('ec2-describe-instances-eu-west-1.xml').body as string;
          return { ...xml('ec2-describe-instances-eu-west-1.xml'), body: withoutInstance(text, 'eu-api-1') };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'awsr-price-down',
      provider: 'aws',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(result.status).toBe('partial');
    expect(result.errors.resource).toMatch(
      /^us-east-1 EC2 list prices unavailable for c6gd\.2xlarge, g5\.xlarge, m5\.large, t3\.micro \(pricing:GetProducts\): .*InternalServerException/,
    );
    expect(result.rows).toEqual({ resource: 99 });
    const snap = await snapshot('awsr-price-down', LATER);
    expect(snap.every((r) => r.complete === 1 && r.hourly_price === null)).toBe(true);
    const changes = await rows<{ change_type: string; name: string }>(
      store,
      `SELECT change_type, name FROM resource_changes FINAL
       WHERE customer_id = 'awsr-price-down' AND snapshot_at = {t:DateTime64(3, 'UTC')}`,
      { t: '2026-11-20 12:17:00.000' },
    );
    expect(changes).toEqual([{ change_type: 'deleted', name: 'eu-api-1' }]);
  });

  it('treats a malformed Price List answer as unknown prices, not as a crash', async () => {
    server.handle(
      awsAccount((call) =>
        call.action === 'GetProducts'
          ? awsJson11({ FormatVersion: 'aws_v1', PriceList: ['{"product":{"attributes":'] })
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'awsr-price-bad',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('partial');
    expect(result.errors.resource).toContain('a product is not JSON');
    const snap = await snapshot('awsr-price-bad', NOW);
    expect(snap).toHaveLength(100);
    expect(snap.every((r) => r.complete === 1 && r.hourly_price === null)).toBe(true);
  });

  it('asks the Price List once a day per process, not at every collection', async () => {
    server.handle(awsAccount());
    const priceCalls = () =>
      server.requests.map(decodeAwsCall).filter((c) => c.action === 'GetProducts').length;
    server.requests.length = 0;
    await runJob(runtime, {
      customerId: 'awsr-price-cache',
      provider: 'aws',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(priceCalls()).toBe(10);
    server.requests.length = 0;
    await runJob(runtime, {
      customerId: 'awsr-price-cache',
      provider: 'aws',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(priceCalls()).toBe(0);
    const later = await snapshot('awsr-price-cache', LATER);
    expect(later.find((r) => r.name === 'api-01')?.hourly_price).toBe('0.096');
    server.requests.length = 0;
    await runJob(runtime, {
      customerId: 'awsr-price-cache',
      provider: 'aws',
      dataTypes: ['resource'],
      now: '2026-11-21T12:20:00.000Z',
    });
    expect(priceCalls()).toBe(10);
  });
});

/** The DescribeInstances XML without the instance named `name` (its `<item>` element, nested items included). */
function withoutInstance(text: string, name: string): string {
  const at = text.indexOf(`<value>${name}</value>`);
  const start = text.lastIndexOf('<item>', text.lastIndexOf('<instanceId>', at));
  if (at < 0 || start < 0) throw new Error(`no instance named ${name}`);
  const tags = /<\/?item>/g;
  tags.lastIndex = start;
  let depth = 0;
  for (let m = tags.exec(text); m; m = tags.exec(text)) {
    depth += m[0] === '<item>' ? 1 : -1;
    if (depth === 0) return text.slice(0, start) + text.slice(m.index + m[0].length);
  }
  throw new Error('unbalanced <item> elements');
}
