import {
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
  type InstanceTypeInfo,
  type Volume,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { CollectContext } from '../../collector/types';
import type { ResourceSnapshotInput } from '../../schemas/rows';
import { createCallScopes } from '../call-scopes';
import { awsClientConfig } from './clients';
import type { AwsSettings } from './config';
import { classifyAwsError } from './errors';
import { awsPages, ec2InstancesWithTypes, ec2InstanceTypesMatching, nameTag, rdsInstances } from './listing';
import { createAwsPriceBook, ec2PriceKey, type HourlyPrice, rdsPriceKey } from './prices';

interface RowBase {
  customer_id: string;
  provider: 'aws';
  snapshot_at: Date;
  task_id: string;
  region: string;
}

const tagsOf = (tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));

const iso = (d: Date | undefined): Date | null =>
  d instanceof Date && !Number.isNaN(d.getTime()) ? d : null;

const priceColumns = (p: HourlyPrice | null | undefined) =>
  p ? { hourly_price: p.price, price_currency: p.currency } : { hourly_price: null, price_currency: '' };

/**
 * An EC2 instance in the normalized shape. vCPUs, memory and GPUs come from its instance
 * type. `created_at` is when its primary network interface was attached, which survives
 * stop/start (LaunchTime does not); LaunchTime when that is unknown. The hourly price is
 * the on-demand list price of its type, platform and tenancy (also for Spot instances,
 * whose `attributes.lifecycle` says they pay less).
 */
export function mapEc2Instance(
  i: Instance,
  type: InstanceTypeInfo,
  base: RowBase,
  price?: HourlyPrice | null,
): ResourceSnapshotInput {
  const gpus = type.GpuInfo?.Gpus ?? [];
  const primary = i.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
  return {
    ...base,
    resource_id: i.InstanceId as string,
    resource_type: 'vm',
    name: nameTag(i.Tags),
    status: i.State?.Name ?? 'unknown',
    zone: i.Placement?.AvailabilityZone ?? '',
    sku: i.InstanceType ?? '',
    vcpus: type.VCpuInfo?.DefaultVCpus ?? null,
    memory_gib: type.MemoryInfo?.SizeInMiB !== undefined ? type.MemoryInfo.SizeInMiB / 1024 : null,
    gpu_count: gpus.reduce((n, g) => n + (g.Count ?? 0), 0),
    gpu_model: gpus.map((g) => [g.Manufacturer, g.Name].filter(Boolean).join(' ')).join(', '),
    tags: tagsOf(i.Tags),
    created_at: iso(primary?.Attachment?.AttachTime) ?? iso(i.LaunchTime),
    ...priceColumns(price),
    attributes: {
      kind: 'ec2_instance',
      lifecycle: i.InstanceLifecycle ?? 'on-demand',
      architecture: i.Architecture ?? '',
      platform: i.PlatformDetails ?? '',
      image_id: i.ImageId ?? '',
      vpc_id: i.VpcId ?? '',
      ...(type.InstanceStorageInfo?.TotalSizeInGB
        ? { instance_storage_gb: type.InstanceStorageInfo.TotalSizeInGB }
        : {}),
      ...(gpus.length ? { gpu_memory_mib: type.GpuInfo?.TotalGpuMemoryInMiB ?? null } : {}),
    },
  };
}

export function mapEbsVolume(v: Volume, base: RowBase): ResourceSnapshotInput {
  return {
    ...base,
    resource_id: v.VolumeId as string,
    resource_type: 'disk',
    name: nameTag(v.Tags),
    status: v.State === 'in-use' ? 'in_use' : (v.State ?? 'unknown'),
    zone: v.AvailabilityZone ?? '',
    sku: v.VolumeType ?? '',
    tags: tagsOf(v.Tags),
    created_at: iso(v.CreateTime),
    attributes: {
      kind: 'ebs_volume',
      size_gib: v.Size ?? null,
      iops: v.Iops ?? null,
      throughput_mibps: v.Throughput ?? null,
      encrypted: v.Encrypted ?? false,
      attached_to: (v.Attachments ?? []).map((a) => a.InstanceId ?? '').filter(Boolean),
    },
  };
}

/**
 * An RDS instance. vCPUs and memory come from the EC2 type its class is built on
 * (db.r6g.large → r6g.large) when EC2 knows it; the price is the on-demand list price of
 * its class, engine and deployment (Single-AZ / Multi-AZ).
 */
export function mapRdsInstance(
  db: DBInstance,
  base: RowBase,
  shape?: InstanceTypeInfo,
  price?: HourlyPrice | null,
): ResourceSnapshotInput {
  return {
    ...base,
    resource_id: db.DBInstanceArn ?? (db.DBInstanceIdentifier as string),
    resource_type: 'database',
    name: db.DBInstanceIdentifier ?? '',
    status: db.DBInstanceStatus ?? 'unknown',
    zone: db.AvailabilityZone ?? '',
    sku: db.DBInstanceClass ?? '',
    vcpus: shape?.VCpuInfo?.DefaultVCpus ?? null,
    memory_gib: shape?.MemoryInfo?.SizeInMiB !== undefined ? shape.MemoryInfo.SizeInMiB / 1024 : null,
    tags: tagsOf(db.TagList),
    created_at: iso(db.InstanceCreateTime),
    ...priceColumns(price),
    attributes: {
      kind: 'rds_instance',
      engine: db.Engine ?? '',
      engine_version: db.EngineVersion ?? '',
      storage_gib: db.AllocatedStorage ?? null,
      storage_type: db.StorageType ?? '',
      multi_az: db.MultiAZ ?? false,
    },
  };
}

/** An ELBv2 load balancer with its tags (DescribeTags; `tags` undefined when they could not be read). */
export function mapLoadBalancer(
  lb: LoadBalancer,
  tags: Record<string, string>,
  base: RowBase,
): ResourceSnapshotInput {
  return {
    ...base,
    resource_id: lb.LoadBalancerArn as string,
    resource_type: 'load_balancer',
    name: lb.LoadBalancerName ?? '',
    status: lb.State?.Code ?? 'unknown',
    sku: lb.Type ?? '',
    tags,
    created_at: iso(lb.CreatedTime),
    attributes: {
      kind: 'elbv2',
      scheme: lb.Scheme ?? '',
      vpc_id: lb.VpcId ?? '',
      zones: (lb.AvailabilityZones ?? [])
        .map((z) => z.ZoneName ?? '')
        .filter(Boolean)
        .sort(),
    },
  };
}

/**
 * AWS inventory per region: EC2 instances (with their type's vCPUs, memory and GPUs), EBS
 * volumes, RDS instances (vCPUs and memory from the EC2 type of their class), EKS clusters
 * and load balancers (ELBv2, with their tags). Every list is paged and each page retried on
 * its own; a list that fails leaves the snapshot incomplete while the rest is still
 * collected. Terminated instances are left out (they no longer exist; change tracking
 * reports them deleted). An instance or database whose size could not be described is left
 * out too, rather than written without its size, and so is a load balancer whose tags could
 * not be read. EC2 and RDS instances carry their on-demand hourly list price from the Price
 * List Query API (`createAwsPriceBook`); a price that cannot be looked up is null and a
 * warning on the run, never an incomplete snapshot. EBS volumes are priced per GB-month,
 * not per hour, and carry no price.
 */
export async function* collectAwsResources(
  ctx: CollectContext<AwsSettings>,
): AsyncGenerator<ResourceSnapshotInput[]> {
  const scopes = createCallScopes(ctx);
  const prices = createAwsPriceBook(ctx);
  const snapshotAt = ctx.now();
  try {
    for (const region of ctx.connection.settings.regions) {
      const config = awsClientConfig(ctx.connection, region);
      const base: RowBase = {
        customer_id: ctx.customerId,
        provider: 'aws',
        snapshot_at: snapshotAt,
        task_id: ctx.taskId,
        region,
      };
      const ec2 = new EC2Client(config);

      const { instances, types } = await ec2InstancesWithTypes(ec2, scopes, region, ctx.signal, {
        keep: (i) => Boolean(i.InstanceId) && i.State?.Name !== 'terminated',
      });
      await prices.lookup(
        'ec2',
        region,
        instances.map((i) => i.InstanceType ?? '').filter((t) => types.has(t)),
      );
      const rows: ResourceSnapshotInput[] = [];
      for (const i of instances) {
        const type = types.get(i.InstanceType ?? '');
        if (type)
          rows.push(
            mapEc2Instance(
              i,
              type,
              base,
              prices.priceOf('ec2', region, i.InstanceType ?? '', ec2PriceKey(i)),
            ),
          );
      }
      yield rows;

      for await (const volumes of awsPages(scopes, `${region} ec2:DescribeVolumes`, async (token) => {
        const out = await ec2.send(new DescribeVolumesCommand({ MaxResults: 500, NextToken: token }), {
          abortSignal: ctx.signal,
        });
        return { items: out.Volumes ?? [], next: out.NextToken };
      })) {
        yield volumes.filter((v) => v.VolumeId).map((v) => mapEbsVolume(v, base));
      }

      const dbs: DBInstance[] = [];
      for await (const page of rdsInstances(new RDSClient(config), scopes, region, ctx.signal)) {
        dbs.push(...page.filter((db) => db.DBInstanceIdentifier));
      }
      if (dbs.length > 0) {
        const classes = [...new Set(dbs.map((db) => db.DBInstanceClass ?? '').filter(Boolean))];
        const shapes = await ec2InstanceTypesMatching(
          ec2,
          scopes,
          region,
          classes.map((c) => c.replace(/^db\./, '')),
          ctx.signal,
        );
        if (shapes) {
          await prices.lookup('rds', region, classes);
          yield dbs.map((db) => {
            const cls = db.DBInstanceClass ?? '';
            return mapRdsInstance(
              db,
              base,
              shapes.get(cls.replace(/^db\./, '')),
              prices.priceOf('rds', region, cls, rdsPriceKey(db)),
            );
          });
        }
      }

      const eks = new EKSClient(config);
      for await (const names of awsPages(scopes, `${region} eks:ListClusters`, async (token) => {
        const out = await eks.send(new ListClustersCommand({ maxResults: 100, nextToken: token }), {
          abortSignal: ctx.signal,
        });
        return { items: out.clusters ?? [], next: out.nextToken };
      })) {
        const clusters: ResourceSnapshotInput[] = [];
        for (const name of names) {
          const scope = `${region} eks:DescribeCluster ${name}`;
          const c = await scopes.attempt(scope, async () => {
            try {
              return (await eks.send(new DescribeClusterCommand({ name }), { abortSignal: ctx.signal }))
                .cluster;
            } catch (err) {
              throw classifyAwsError(err, scope);
            }
          });
          if (!c) continue;
          clusters.push({
            ...base,
            resource_id: c.arn ?? name,
            resource_type: 'kubernetes_cluster',
            name,
            status: (c.status ?? 'unknown').toLowerCase(),
            sku: c.version ?? '',
            tags: c.tags ?? {},
            created_at: iso(c.createdAt),
            attributes: { kind: 'eks_cluster', platform_version: c.platformVersion ?? '' },
          });
        }
        yield clusters;
      }

      const elb = new ElasticLoadBalancingV2Client(config);
      for await (const lbs of awsPages(
        scopes,
        `${region} elasticloadbalancing:DescribeLoadBalancers`,
        async (marker) => {
          const out = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 400, Marker: marker }), {
            abortSignal: ctx.signal,
          });
          return { items: out.LoadBalancers ?? [], next: out.NextMarker };
        },
      )) {
        const listed = lbs.filter((lb) => lb.LoadBalancerArn);
        // DescribeTags takes at most 20 ARNs per call.
        for (let i = 0; i < listed.length; i += 20) {
          const chunk = listed.slice(i, i + 20);
          const scope = `${region} elasticloadbalancing:DescribeTags`;
          const described = await scopes.attempt(scope, async () => {
            try {
              return await elb.send(
                new DescribeTagsCommand({ ResourceArns: chunk.map((lb) => lb.LoadBalancerArn as string) }),
                { abortSignal: ctx.signal },
              );
            } catch (err) {
              throw classifyAwsError(err, scope);
            }
          });
          if (!described) continue;
          const tagsByArn = new Map(
            (described.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', tagsOf(d.Tags)]),
          );
          yield chunk.map((lb) =>
            mapLoadBalancer(lb, tagsByArn.get(lb.LoadBalancerArn as string) ?? {}, base),
          );
        }
      }
    }
  } finally {
    prices.close();
  }
  scopes.finish();
}
