import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULES } from '../../lib/schedules';
import {
  MAX_RECEIVE_COUNT,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS,
  WORKER_BATCH_SIZE,
  WORKER_MAX_CONCURRENCY,
  WORKER_TIMEOUT_SECONDS,
} from '../../stacks/Collectors';
import {
  actionsOf,
  findFunction,
  functionResource,
  type Json,
  type Resource,
  roleStatements,
  type SynthesizedApp,
  synthesize,
} from './synth';

let synth: SynthesizedApp;
let resources: Record<string, Resource>;
beforeAll(async () => {
  synth = await synthesize({ env: { OPTIINFRA_ALARM_EMAIL: 'oncall@example.com' } });
  resources = synth.templates.Collectors.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The collection-jobs queue (the one with a redrive policy) and its DLQ. */
function queues() {
  const sqs = ofType('AWS::SQS::Queue');
  const jobs = sqs.find(([, r]) => r.Properties.RedrivePolicy);
  if (!jobs) throw new Error('no queue with a redrive policy');
  const dlqId = jobs[1].Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
  const dlq = sqs.find(([id]) => id === dlqId);
  if (!dlq) throw new Error(`DLQ ${dlqId} is not in the stack`);
  return { jobs, dlq, count: sqs.length };
}

describe('Collectors: schedules', () => {
  it('deploys one EventBridge rule per schedule entry, with its expression, targeting dispatch with its id', () => {
    const dispatch = findFunction(synth, 'Collectors', 'CollectDispatch');
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const deployed = SCHEDULES.filter((e) => !e.localOnly);
    expect(deployed.length).toBeGreaterThan(0);
    expect(rules).toHaveLength(deployed.length);
    for (const entry of deployed) {
      const input = JSON.stringify({ schedule_id: entry.id });
      const matching = rules.filter((r) => r.Targets.some((t: { Input?: string }) => t.Input === input));
      expect(matching, `rule for schedule ${entry.id}`).toHaveLength(1);
      const rule = matching[0] as Record<string, Json>;
      expect(rule.ScheduleExpression, entry.id).toBe(entry.expression);
      expect(rule.State, entry.id).toBe('ENABLED');
      expect(rule.Targets, entry.id).toEqual([
        expect.objectContaining({ Arn: { 'Fn::GetAtt': [dispatch.logicalId, 'Arn'] }, Input: input }),
      ]);
    }
  });

  it('deploys the hourly recommendations evaluation as a rule targeting dispatch', () => {
    const input = JSON.stringify({ schedule_id: 'recommendations' });
    const rules = ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .filter((r) => r.Targets.some((t: { Input?: string }) => t.Input === input));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.ScheduleExpression).toBe('rate(1 hour)');
  });

  it('deploys no rule for local-only entries', () => {
    const inputs = ofType('AWS::Events::Rule').flatMap(([, r]) =>
      r.Properties.Targets.map((t: { Input?: string }) => t.Input),
    );
    for (const entry of SCHEDULES.filter((e) => e.localOnly)) {
      expect(inputs).not.toContain(JSON.stringify({ schedule_id: entry.id }));
    }
  });

  it('lets EventBridge invoke dispatch, once per rule', () => {
    const dispatch = findFunction(synth, 'Collectors', 'CollectDispatch');
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        p.Properties.Principal === 'events.amazonaws.com' &&
        JSON.stringify(p.Properties.FunctionName).includes(dispatch.logicalId),
    );
    expect(permissions).toHaveLength(SCHEDULES.filter((e) => !e.localOnly).length);
  });

  it('gives dispatch sqs:SendMessage on the jobs queue only, and the queue URL', () => {
    const dispatch = findFunction(synth, 'Collectors', 'CollectDispatch');
    const { jobs } = queues();
    const sqsStatements = roleStatements(synth, dispatch).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('sqs:')),
    );
    expect(sqsStatements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [jobs[0], 'Arn'] },
      }),
    ]);
    expect(functionResource(synth, dispatch).Properties.Environment.Variables.COLLECTION_QUEUE_URL).toEqual({
      Ref: jobs[0],
    });
    expect(dispatch.props.bind?.length).toBeGreaterThanOrEqual(4);
  });
});

describe('Collectors: queue', () => {
  it('redrives a job to the DLQ after MAX_RECEIVE_COUNT deliveries', () => {
    const { jobs, dlq, count } = queues();
    expect(count).toBe(2);
    expect(MAX_RECEIVE_COUNT).toBe(3);
    expect(jobs[1].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlq[0], 'Arn'] },
      maxReceiveCount: 3,
    });
    expect(dlq[1].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    for (const [, q] of [jobs, dlq]) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('refuses any access to either queue without TLS', () => {
    const { jobs, dlq } = queues();
    const policies = ofType('AWS::SQS::QueuePolicy').map(([, p]) => p.Properties);
    for (const [id] of [jobs, dlq]) {
      const policy = policies.find((p) => JSON.stringify(p.Queues) === JSON.stringify([{ Ref: id }]));
      expect(policy?.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('retries a failed dispatch twice and drops ticks older than 15 minutes', () => {
    const dispatch = findFunction(synth, 'Collectors', 'CollectDispatch');
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    expect(configs).toContainEqual(
      expect.objectContaining({
        FunctionName: { Ref: dispatch.logicalId },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 900,
      }),
    );
  });

  it('keeps a message invisible well past the worker timeout', () => {
    const worker = findFunction(synth, 'Collectors', 'CollectWorker');
    const timeout = functionResource(synth, worker).Properties.Timeout as number;
    expect(timeout).toBe(WORKER_TIMEOUT_SECONDS);
    const { jobs } = queues();
    expect(jobs[1].Properties.VisibilityTimeout).toBe(QUEUE_VISIBILITY_TIMEOUT_SECONDS);
    expect(jobs[1].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('feeds the worker small batches and honours its batchItemFailures', () => {
    const worker = findFunction(synth, 'Collectors', 'CollectWorker');
    const { jobs } = queues();
    const mappings = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, m]) => m.Properties)
      .filter((m) => m.EventSourceArn['Fn::GetAtt'][0] === jobs[0]);
    expect(mappings).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': [jobs[0], 'Arn'] },
        FunctionName: { Ref: worker.logicalId },
        BatchSize: WORKER_BATCH_SIZE,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: WORKER_MAX_CONCURRENCY },
      }),
    ]);
    expect(WORKER_BATCH_SIZE).toBeLessThanOrEqual(5);
  });

  it('gives the worker read-only collector permissions, no way to send to the queue', () => {
    const worker = findFunction(synth, 'Collectors', 'CollectWorker');
    const actions = roleStatements(synth, worker).flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining([
        'ce:GetCostAndUsage',
        'ce:GetCostAndUsageWithResources',
        'ce:GetDimensionValues',
        'cloudwatch:GetMetricData',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeVolumes',
        'ec2:DescribeRegions',
        'rds:DescribeDBInstances',
        'eks:ListClusters',
        'eks:DescribeCluster',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTags',
        'pricing:GetProducts',
        'sts:AssumeRole',
        'sts:GetCallerIdentity',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
      ]),
    );
    expect(actions).not.toContain('sqs:SendMessage');
    const writes = actions.filter((a) =>
      /^(ce|cloudwatch|ec2|rds|eks|elasticloadbalancing|pricing):(?!Get|Describe|List)/.test(a),
    );
    expect(writes).toEqual([]);
  });

  it('allows every AWS call the AWS collectors make (read from their imports)', () => {
    const worker = findFunction(synth, 'Collectors', 'CollectWorker');
    const actions = new Set(roleStatements(synth, worker).flatMap(actionsOf));
    const prefix: Record<string, string> = {
      'client-ec2': 'ec2',
      'client-rds': 'rds',
      'client-eks': 'eks',
      'client-elastic-load-balancing-v2': 'elasticloadbalancing',
      'client-cloudwatch': 'cloudwatch',
      'client-cost-explorer': 'ce',
      'client-pricing': 'pricing',
      'client-sts': 'sts',
    };
    const dir = join(import.meta.dirname, '../../lib/providers/aws');
    const used = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[\w-]+)'/g)) {
        const service = prefix[m[2] as string];
        if (!service) throw new Error(`${file} imports @aws-sdk/${m[2]}: add its IAM prefix here`);
        for (const name of (m[1] as string).matchAll(/\b(\w+)Command\b/g)) used.add(`${service}:${name[1]}`);
      }
    }
    expect(used.size).toBeGreaterThanOrEqual(13);
    expect([...used].filter((a) => !actions.has(a)).sort()).toEqual([]);
  });
});

describe('Collectors: alarms', () => {
  it('alarms as soon as a message reaches the DLQ (its consumer takes them at once), notifying the alarm topic', () => {
    const { dlq } = queues();
    const [topicId] = ofType('AWS::SNS::Topic')[0] ?? [];
    const alarms = ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.MetricName === 'NumberOfMessagesReceived');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq[0], 'QueueName'] } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('closes dead-lettered runs with a DLQ consumer, and lets the functions that see problems publish alerts to the topic', () => {
    const { dlq } = queues();
    const [topicId] = ofType('AWS::SNS::Topic')[0] ?? [];
    expect(ofType('AWS::SNS::Topic')).toHaveLength(1);
    const consumer = findFunction(synth, 'Collectors', 'CollectDeadLetters');
    expect(consumer.props.handler).toBe('functions/collect/dead-letter.handler');
    const mapping = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, m]) => m.Properties)
      .find((m) => m.EventSourceArn['Fn::GetAtt'][0] === dlq[0]);
    expect(mapping).toMatchObject({ FunctionName: { Ref: consumer.logicalId } });
    for (const name of ['CollectWorker', 'CollectDispatch', 'CollectDeadLetters']) {
      const fn = findFunction(synth, 'Collectors', name);
      expect(functionResource(synth, fn).Properties.Environment.Variables.ALERT_TOPIC_ARN, name).toEqual({
        Ref: topicId,
      });
      const publish = roleStatements(synth, fn).find((st) => actionsOf(st).includes('sns:Publish'));
      expect(publish?.Resource, name).toEqual({ Ref: topicId });
    }
  });

  it('runs the reaper from the schedule table: a rule for the reap-runs entry targets dispatch', () => {
    const entry = SCHEDULES.find((e) => e.task === 'reap-runs');
    expect(entry?.localOnly).toBeFalsy();
    const input = JSON.stringify({ schedule_id: entry?.id });
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    expect(rules.filter((r) => r.Targets.some((t: { Input?: string }) => t.Input === input))).toHaveLength(1);
  });

  it('alarms when dispatch fails, since a failed dispatch queues nothing', () => {
    const dispatch = findFunction(synth, 'Collectors', 'CollectDispatch');
    const alarm = ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .find((a) => a.MetricName === 'Errors');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: dispatch.logicalId } }],
      Threshold: 1,
    });
  });

  it('subscribes OPTIINFRA_ALARM_EMAIL to the alarm topic', () => {
    const subscriptions = ofType('AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subscriptions).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com' }),
    ]);
  });
});

describe('Collectors: other stages and settings', () => {
  it('creates the rules disabled under sst dev, and no subscription without an address', async () => {
    const dev = await synthesize({ mode: 'dev', stage: 'devstage' });
    const rules = Object.values(dev.templates.Collectors.findResources('AWS::Events::Rule'));
    expect(rules.length).toBe(SCHEDULES.filter((e) => !e.localOnly).length);
    for (const rule of rules) expect(rule.Properties.State).toBe('DISABLED');
    expect(Object.keys(dev.templates.Collectors.findResources('AWS::SNS::Subscription'))).toEqual([]);
  });

  it('refuses a malformed alarm address or customer role pattern at deploy', async () => {
    await expect(synthesize({ env: { OPTIINFRA_ALARM_EMAIL: 'not-an-address' } })).rejects.toThrow(
      /OPTIINFRA_ALARM_EMAIL/,
    );
    await expect(synthesize({ env: { OPTIINFRA_CUSTOMER_ROLE_ARNS: 'role/*' } })).rejects.toThrow(
      /OPTIINFRA_CUSTOMER_ROLE_ARNS/,
    );
  });

  it('narrows sts:AssumeRole to the configured customer role pattern', async () => {
    const narrowed = await synthesize({
      env: { OPTIINFRA_CUSTOMER_ROLE_ARNS: 'arn:aws:iam::*:role/OptiInfraReadOnly' },
    });
    const worker = findFunction(narrowed, 'Collectors', 'CollectWorker');
    const assume = roleStatements(narrowed, worker).filter((s) => actionsOf(s).includes('sts:AssumeRole'));
    expect(assume).toEqual([expect.objectContaining({ Resource: 'arn:aws:iam::*:role/OptiInfraReadOnly' })]);
  });
});
