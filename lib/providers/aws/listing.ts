import {
  type _InstanceType,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { type DBInstance, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { type CallScopes, trackFailures } from '../call-scopes';
import { classifyAwsError } from './errors';

/**
 * Reads a token-paginated AWS list page by page, each page through `scopes` (retried on
 * its own; a page that keeps failing ends the list and is recorded as a scope failure).
 */
export async function* awsPages<T>(
  scopes: CallScopes,
  label: string,
  call: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
): AsyncGenerator<T[]> {
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const scope = `${label}${page > 1 ? ` page ${page}` : ''}`;
    const answer = await scopes.attempt(scope, async () => {
      try {
        return await call(token);
      } catch (err) {
        throw classifyAwsError(err, scope);
      }
    });
    if (!answer) return;
    yield answer.items;
    token = answer.next;
    if (!token) return;
  }
}

/** DescribeInstances, every instance of every reservation, 1000 per page. */
export function ec2Instances(
  ec2: EC2Client,
  scopes: CallScopes,
  region: string,
  signal: AbortSignal,
  filters?: Filter[],
): AsyncGenerator<Instance[]> {
  return awsPages(scopes, `${region} ec2:DescribeInstances`, async (token) => {
    const out = await ec2.send(
      new DescribeInstancesCommand({ MaxResults: 1000, NextToken: token, Filters: filters }),
      { abortSignal: signal },
    );
    return { items: (out.Reservations ?? []).flatMap((r) => r.Instances ?? []), next: out.NextToken };
  });
}

/** DescribeDBInstances, 100 per page (Marker). */
export function rdsInstances(
  rds: RDSClient,
  scopes: CallScopes,
  region: string,
  signal: AbortSignal,
): AsyncGenerator<DBInstance[]> {
  return awsPages(scopes, `${region} rds:DescribeDBInstances`, async (marker) => {
    const out = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: 100, Marker: marker }), {
      abortSignal: signal,
    });
    return { items: out.DBInstances ?? [], next: out.Marker };
  });
}

/**
 * The specs of the given instance types (vCPUs, memory, GPUs, instance storage), 100 types
 * per call. A type whose call failed is absent from the map.
 */
export async function ec2InstanceTypes(
  ec2: EC2Client,
  scopes: CallScopes,
  region: string,
  types: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, InstanceTypeInfo>> {
  const out = new Map<string, InstanceTypeInfo>();
  const unique = [...new Set(types)].sort();
  for (let i = 0; i < unique.length; i += 100) {
    const chunk = unique.slice(i, i + 100);
    for await (const infos of awsPages(scopes, `${region} ec2:DescribeInstanceTypes`, async (token) => {
      const res = await ec2.send(
        new DescribeInstanceTypesCommand({ InstanceTypes: chunk as _InstanceType[], NextToken: token }),
        { abortSignal: signal },
      );
      return { items: res.InstanceTypes ?? [], next: res.NextToken };
    })) {
      for (const info of infos) if (info.InstanceType) out.set(info.InstanceType, info);
    }
  }
  return out;
}

/**
 * The region's instances (those `keep` accepts) and the specs of their types, which every
 * EC2 collector needs together. A type whose lookup failed is absent from `types`.
 */
export async function ec2InstancesWithTypes(
  ec2: EC2Client,
  scopes: CallScopes,
  region: string,
  signal: AbortSignal,
  opts: { filters?: Filter[]; keep?: (i: Instance) => boolean } = {},
): Promise<{ instances: Instance[]; types: Map<string, InstanceTypeInfo> }> {
  const instances: Instance[] = [];
  for await (const page of ec2Instances(ec2, scopes, region, signal, opts.filters))
    instances.push(...(opts.keep ? page.filter(opts.keep) : page));
  const types = await ec2InstanceTypes(
    ec2,
    scopes,
    region,
    instances.map((i) => i.InstanceType ?? '').filter(Boolean),
    signal,
  );
  return { instances, types };
}

/**
 * The specs of whichever of `types` EC2 knows, through a filter (an unknown name is
 * simply absent, where `InstanceTypes` would fail the whole call): for RDS classes, whose
 * names need not be EC2 types. Undefined when a call failed, so callers can tell "EC2
 * has no such type" from "could not look".
 */
export async function ec2InstanceTypesMatching(
  ec2: EC2Client,
  scopes: CallScopes,
  region: string,
  types: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, InstanceTypeInfo> | undefined> {
  const out = new Map<string, InstanceTypeInfo>();
  let failed = false;
  const tracked = trackFailures(scopes, () => {
    failed = true;
  });
  const unique = [...new Set(types)].filter(Boolean).sort();
  // A filter takes at most 200 values; keep chunks small enough for one page each.
  for (let i = 0; i < unique.length && !failed; i += 100) {
    const chunk = unique.slice(i, i + 100);
    for await (const infos of awsPages(
      tracked,
      `${region} ec2:DescribeInstanceTypes (filter)`,
      async (token) => {
        const res = await ec2.send(
          new DescribeInstanceTypesCommand({
            Filters: [{ Name: 'instance-type', Values: chunk }],
            MaxResults: 100,
            NextToken: token,
          }),
          { abortSignal: signal },
        );
        return { items: res.InstanceTypes ?? [], next: res.NextToken };
      },
    )) {
      for (const info of infos) if (info.InstanceType) out.set(info.InstanceType, info);
    }
  }
  return failed ? undefined : out;
}

/** The EC2 `Name` tag, else ''. */
export function nameTag(tags: readonly { Key?: string; Value?: string }[] | undefined): string {
  return tags?.find((t) => t.Key === 'Name')?.Value ?? '';
}
