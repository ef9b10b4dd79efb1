import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Stack } from 'sst/constructs';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@/*-]+$/;

/**
 * What collectors may do in AWS, for the functions that run collection jobs (the queue
 * worker, and trigger routes, which run a job in-process when `async_mode` is false).
 * Read-only, and no action contains a wildcard. Cost Explorer, CloudWatch GetMetricData, the
 * Price List and the Describe/List calls have no resource-level permissions, so they take `*`; RDS and EKS
 * describe calls are limited to this account's instances and clusters. Customers' accounts
 * are read through `sts:AssumeRole` on the role their connection names (their trust policy
 * requires the external id); OPTIINFRA_CUSTOMER_ROLE_ARNS (comma-separated ARN patterns)
 * narrows which roles may be assumed, for instance `arn:aws:iam::*:role/OptiInfraReadOnly`.
 */
export function collectorPermissions(
  stack: Stack,
  env: Readonly<Record<string, string | undefined>>,
): PolicyStatement[] {
  const { partition, account } = stack;
  const roleArns = (env.OPTIINFRA_CUSTOMER_ROLE_ARNS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const arn of roleArns) {
    if (!ROLE_ARN.test(arn))
      throw new Error(`OPTIINFRA_CUSTOMER_ROLE_ARNS: "${arn}" is not an IAM role ARN (pattern)`);
  }
  const allow = (sid: string, actions: string[], resources: string[]) =>
    new PolicyStatement({ sid, effect: Effect.ALLOW, actions, resources });
  return [
    allow(
      'CostExplorerRead',
      ['ce:GetCostAndUsage', 'ce:GetCostAndUsageWithResources', 'ce:GetDimensionValues'],
      ['*'],
    ),
    allow(
      'MetricsAndInventoryRead',
      [
        'cloudwatch:GetMetricData',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeVolumes',
        'ec2:DescribeRegions',
        'eks:ListClusters',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTags',
        'pricing:GetProducts',
      ],
      ['*'],
    ),
    allow('RdsRead', ['rds:DescribeDBInstances'], [`arn:${partition}:rds:*:${account}:db:*`]),
    allow('EksRead', ['eks:DescribeCluster'], [`arn:${partition}:eks:*:${account}:cluster/*`]),
    allow(
      'AssumeCustomerRoles',
      ['sts:AssumeRole'],
      roleArns.length > 0 ? roleArns : [`arn:${partition}:iam::*:role/*`],
    ),
    allow('CallerIdentity', ['sts:GetCallerIdentity'], ['*']),
  ];
}

/** Enqueue collection jobs on one queue and nothing else (SST `bind` would grant `sqs:*`). */
export function sendToQueue(queueArn: string): PolicyStatement {
  // SendMessageBatch is authorised by sqs:SendMessage.
  return new PolicyStatement({
    sid: 'EnqueueCollectionJobs',
    effect: Effect.ALLOW,
    actions: ['sqs:SendMessage'],
    resources: [queueArn],
  });
}

/** Secrets Manager names of API-made connections' secrets, per stage (lib/connections/secret-store.ts). */
export function connectionSecretsPrefix(stage: string): string {
  return `optiinfra/${stage}/connections/`;
}

/**
 * Read and write connection secrets under this deployment's prefix, and nothing else: for
 * the API functions that handle connections or run collections, and the collectors. The
 * environment variable makes the runtime use Secrets Manager (else the embedded store).
 */
export function connectionSecretsAccess(stack: Stack): {
  permissions: PolicyStatement[];
  environment: Record<string, string>;
} {
  const prefix = connectionSecretsPrefix(stack.stage);
  return {
    permissions: [
      new PolicyStatement({
        sid: 'ConnectionSecrets',
        effect: Effect.ALLOW,
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
        ],
        resources: [
          `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${prefix}*`,
        ],
      }),
    ],
    environment: { OPTIINFRA_SECRETS_PREFIX: prefix },
  };
}

/** Publish alerts to the alarm topic (lib/alerts/notify.ts) and nothing else. */
export function publishAlerts(topicArn: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'PublishAlerts',
    effect: Effect.ALLOW,
    actions: ['sns:Publish'],
    resources: [topicArn],
  });
}
