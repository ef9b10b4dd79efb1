import type { FakeHandler, FakeReply, RecordedRequest } from './fake-server';
import { fixture, fixtureText } from './fixtures';

/** What a request to the AWS stand-in is, decoded from the wire. */
export interface AwsCall {
  /** SigV4 signing name: monitoring, ec2, rds, eks, elasticloadbalancing. */
  service: string;
  region: string;
  /** Query/JSON action, or `METHOD /path` for REST (EKS). */
  action: string;
  form: URLSearchParams;
  json: Record<string, unknown>;
}

/** The signing scope of a SigV4 Authorization header: Credential=AKID/date/region/service/aws4_request. */
export function decodeAwsCall(req: RecordedRequest): AwsCall {
  const m = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
    String(req.headers.authorization ?? ''),
  );
  const region = m?.[1] ?? '';
  const service = m?.[2] ?? '';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    return {
      service,
      region,
      action: target.split('.').pop() ?? '',
      form: new URLSearchParams(),
      json: JSON.parse(req.body || '{}'),
    };
  }
  if (
    req.method === 'POST' &&
    String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')
  ) {
    const form = new URLSearchParams(req.body);
    return { service, region, action: form.get('Action') ?? '', form, json: {} };
  }
  return { service, region, action: `${req.method} ${req.path}`, form: new URLSearchParams(), json: {} };
}

export const xml = (name: string, status = 200): FakeReply => ({
  status,
  headers: { 'content-type': 'text/xml;charset=UTF-8' },
  body: fixtureText('aws', name),
});

export const awsJson10 = (body: unknown, status = 200, queryError?: string): FakeReply => ({
  status,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
  },
  body: JSON.stringify(body),
});

/**
 * Raw CloudWatch values per namespace:metric (per period; Sum metrics are totals over a
 * 300 s period). Tests state the normalised value they expect from each.
 */
export const CLOUDWATCH_VALUES: Record<string, number> = {
  'AWS/EC2:CPUUtilization': 42.5,
  'AWS/EC2:NetworkIn': 375_000,
  'AWS/EC2:NetworkOut': 750_000,
  'AWS/EC2:EBSReadBytes': 3_000_000,
  'AWS/EC2:EBSWriteBytes': 1_500_000,
  'AWS/EC2:DiskReadBytes': 6_000_000,
  'AWS/EC2:DiskWriteBytes': 9_000_000,
  'AWS/EC2:StatusCheckFailed': 0,
  'AWS/RDS:CPUUtilization': 12.25,
  'AWS/RDS:DatabaseConnections': 37,
  'AWS/RDS:FreeStorageSpace': 107_374_182_400,
  'AWS/RDS:ReadLatency': 0.0025,
  'AWS/RDS:WriteLatency': 0.004,
};

interface Query {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
}

/**
 * GetMetricData over the AWS JSON 1.0 wire: one point per period in [StartTime, EndTime)
 * for every query. The first call answers the first half of each series with
 * StatusCode PartialData and a NextToken; the call with that token answers the rest.
 */
export function getMetricData(call: AwsCall): FakeReply {
  const body = call.json as {
    MetricDataQueries: Query[];
    StartTime: number;
    EndTime: number;
    NextToken?: string;
  };
  if (body.MetricDataQueries.length > 500) {
    return awsJson10(
      {
        __type: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
        message: 'The collection MetricDataQueries must not have a size greater than 500.',
      },
      400,
      'InvalidParameterValue;Sender',
    );
  }
  const results = body.MetricDataQueries.map((q) => {
    const stamps: number[] = [];
    for (let t = body.StartTime; t < body.EndTime; t += q.MetricStat.Period) stamps.push(t);
    const half = Math.ceil(stamps.length / 2);
    const mine = body.NextToken ? stamps.slice(half) : stamps.slice(0, half);
    const value = CLOUDWATCH_VALUES[`${q.MetricStat.Metric.Namespace}:${q.MetricStat.Metric.MetricName}`];
    if (value === undefined) throw new Error(`no value for ${q.MetricStat.Metric.MetricName}`);
    return {
      Id: q.Id,
      Label: q.MetricStat.Metric.MetricName,
      Timestamps: mine,
      Values: mine.map(() => value),
      StatusCode: body.NextToken ? 'Complete' : 'PartialData',
    };
  });
  return awsJson10({
    MetricDataResults: results,
    Messages: [],
    ...(body.NextToken ? {} : { NextToken: 'eyJwYWdlIjoyfQ==' }),
  });
}

export const awsJson11 = (body: unknown, status = 200): FakeReply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify(body),
});

interface PriceListProduct {
  product: { attributes: Record<string, string> };
}

/**
 * The Price List Query API's GetProducts (AWS JSON 1.1, `AWSPriceListService.GetProducts`)
 * over the products in `fixtures/aws/pricing/`: TERM_MATCH filters on product attributes
 * (case-insensitive, as AWS matches), `PriceList` as JSON strings, `pageSize` products per
 * page with an opaque `NextToken` (AWS pages are at most `MaxResults`, default 100).
 */
export function getProducts(call: AwsCall, pageSize = 3): FakeReply {
  const body = call.json as {
    ServiceCode: string;
    Filters?: { Type: string; Field: string; Value: string }[];
    MaxResults?: number;
    NextToken?: string;
  };
  const file = { AmazonEC2: 'ec2-products.json', AmazonRDS: 'rds-products.json' }[body.ServiceCode];
  if (!file)
    return awsJson11({ __type: 'NotFoundException', Message: `Service ${body.ServiceCode} not found` }, 400);
  for (const f of body.Filters ?? []) {
    if (f.Type !== 'TERM_MATCH')
      return awsJson11(
        { __type: 'InvalidParameterException', Message: `unsupported filter type ${f.Type}` },
        400,
      );
  }
  const all = (fixture('aws', `pricing/${file}`) as PriceListProduct[]).filter((p) =>
    (body.Filters ?? []).every(
      (f) => (p.product.attributes[f.Field] ?? '').toLowerCase() === f.Value.toLowerCase(),
    ),
  );
  const start = body.NextToken ? Number(Buffer.from(body.NextToken, 'base64').toString()) : 0;
  const size = Math.min(pageSize, body.MaxResults ?? 100);
  const page = all.slice(start, start + size);
  const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return awsJson11({
    FormatVersion: 'aws_v1',
    PriceList: page.map((p) => JSON.stringify(p)),
    ...(next ? { NextToken: next } : {}),
  });
}

/**
 * An AWS account as the fixtures describe it: us-east-1 with 90 running instances over
 * two pages (plus a stopped and a terminated one when unfiltered), 3 RDS instances over
 * two pages, 2 EBS volumes, an EKS cluster and a tagged load balancer; eu-west-1 with 2
 * instances and nothing else; the Price List with those types' and classes' prices. `override` answers first when it returns a reply.
 */
export function awsAccount(
  override?: (call: AwsCall, req: RecordedRequest) => FakeReply | undefined,
): FakeHandler {
  return (req) => {
    const call = decodeAwsCall(req);
    const o = override?.(call, req);
    if (o) return o;
    const east = call.region === 'us-east-1';
    switch (call.action) {
      case 'GetMetricData':
        return getMetricData(call);
      case 'DescribeInstances': {
        if (!east) return xml('ec2-describe-instances-eu-west-1.xml');
        const filtered = call.form.get('Filter.1.Name') === 'instance-state-name';
        if (!call.form.get('NextToken')) return xml('ec2-describe-instances-running-page1.xml');
        return xml(
          filtered ? 'ec2-describe-instances-running-page2.xml' : 'ec2-describe-instances-all-page2.xml',
        );
      }
      case 'DescribeInstanceTypes':
        // By name (EC2 instances) or by filter (the EC2 types RDS classes are built on).
        return xml(
          call.form.get('Filter.1.Name') === 'instance-type'
            ? 'ec2-describe-instance-types-db-classes.xml'
            : 'ec2-describe-instance-types.xml',
        );
      case 'DescribeVolumes':
        if (!east) return xml('ec2-describe-volumes-empty.xml');
        return xml(
          call.form.get('NextToken') ? 'ec2-describe-volumes-page2.xml' : 'ec2-describe-volumes-page1.xml',
        );
      case 'DescribeDBInstances':
        if (!east) return xml('rds-describe-db-instances-empty.xml');
        return xml(
          call.form.get('Marker')
            ? 'rds-describe-db-instances-page2.xml'
            : 'rds-describe-db-instances-page1.xml',
        );
      case 'DescribeTags':
        return xml('elbv2-describe-tags.xml');
      case 'GetProducts':
        return getProducts(call);
      case 'DescribeLoadBalancers':
        return xml(east ? 'elbv2-describe-load-balancers.xml' : 'elbv2-describe-load-balancers-empty.xml');
      case 'GET /clusters':
        return { body: fixture('aws', east ? 'eks-list-clusters.json' : 'eks-list-clusters-empty.json') };
      case 'GET /clusters/ml-inference':
        return { body: fixture('aws', 'eks-describe-cluster-ml-inference.json') };
      default:
        return { status: 400, body: `unexpected call ${call.service} ${call.action}` };
    }
  };
}
