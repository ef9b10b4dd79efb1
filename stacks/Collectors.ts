import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Cron, dependsOn, Queue, Function as SstFunction, type StackContext, use } from 'sst/constructs';
import { isValidExpression, SCHEDULES, type ScheduleEntry } from '../lib/schedules';
import { Config } from './Config';
import { shippedFilesProps } from './connections';
import { RUNTIME_FILES } from './defaults';
import { collectorPermissions, connectionSecretsAccess, publishAlerts, sendToQueue } from './permissions';
import { Storage } from './Storage';

/** One job: a provider × data types × window, with paging and retries inside. */
export const WORKER_TIMEOUT_SECONDS = 300;
/**
 * AWS asks for a visibility timeout of at least six times the consumer's timeout, so a
 * message is not handed out again while Lambda is still retrying a throttled invocation.
 */
export const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * WORKER_TIMEOUT_SECONDS;
/** Deliveries before a job is parked in the DLQ (and the alarm fires). */
export const MAX_RECEIVE_COUNT = 3;
/**
 * One job per invocation: jobs run minutes, so a second job in the batch would share the
 * first one's timeout. Failures are still reported per item (the worker returns
 * batchItemFailures), which only counts when ReportBatchItemFailures is on.
 */
export const WORKER_BATCH_SIZE = 1;
/** Jobs collected at once across all customers: bounds ClickHouse inserts and provider rate. */
export const WORKER_MAX_CONCURRENCY = 10;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Collectors: one EventBridge rule per schedule-table entry (lib/schedules.ts) → the
 * dispatch function, which plans one job per customer connection and sends it to the
 * collection-jobs queue → the worker, which runs one job per message. A job that fails
 * MAX_RECEIVE_COUNT times lands in the DLQ, whose consumer closes its run and alerts; an
 * alarm on the DLQ notifies the alarm topic, where alerts are published too
 * (OPTIINFRA_ALARM_EMAIL at deploy subscribes an address to it).
 */
export function Collectors({ stack, app }: StackContext) {
  dependsOn(Storage);
  const config = use(Config);
  const connections = shippedFilesProps(
    { connections: config.connectionsFile, applications: config.applicationsFile },
    app.local,
  );

  const alarmTopic = new Topic(stack, 'Alarms', { displayName: `OptiInfra ${app.stage} alarms` });
  const email = process.env.OPTIINFRA_ALARM_EMAIL?.trim();
  if (email) {
    if (!EMAIL.test(email)) throw new Error(`OPTIINFRA_ALARM_EMAIL: "${email}" is not an email address`);
    alarmTopic.addSubscription(new EmailSubscription(email));
  }
  // Alerts (lib/alerts/: consecutive failures, budget skips, judge down, dead letters) are
  // published to the same topic as the alarms, by the functions that see them.
  const alerting = {
    environment: { ALERT_TOPIC_ARN: alarmTopic.topicArn },
    permissions: [publishAlerts(alarmTopic.topicArn)],
  };

  const deadLetters = new Queue(stack, 'CollectionJobsDLQ', {
    cdk: {
      queue: {
        retentionPeriod: Duration.days(14),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      },
    },
  });

  const secretAccess = connectionSecretsAccess(stack);
  const worker = new SstFunction(stack, 'CollectWorker', {
    handler: 'functions/collect/worker.handler',
    description: 'Runs one collection job from the collection-jobs queue',
    timeout: WORKER_TIMEOUT_SECONDS,
    memorySize: 1024,
    bind: [...config.clickhouse, ...config.connectionSecrets],
    ...connections,
    permissions: [
      ...collectorPermissions(stack, process.env),
      ...secretAccess.permissions,
      ...alerting.permissions,
    ],
    environment: { ...connections.environment, ...secretAccess.environment, ...alerting.environment },
  });

  const jobs = new Queue(stack, 'CollectionJobs', {
    cdk: {
      queue: {
        visibilityTimeout: Duration.seconds(QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: deadLetters.cdk.queue, maxReceiveCount: MAX_RECEIVE_COUNT },
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      },
    },
    consumer: {
      function: worker,
      cdk: {
        eventSource: {
          batchSize: WORKER_BATCH_SIZE,
          reportBatchItemFailures: true,
          maxConcurrency: WORKER_MAX_CONCURRENCY,
        },
      },
    },
  });

  const dispatch = new SstFunction(stack, 'CollectDispatch', {
    handler: 'functions/collect/dispatch.handler',
    description: 'Turns a schedule tick into one queued job per customer connection',
    timeout: 120,
    memorySize: 512,
    bind: [...config.clickhouse, ...config.connectionSecrets],
    permissions: [sendToQueue(jobs.queueArn), ...secretAccess.permissions, ...alerting.permissions],
    // EventBridge invokes asynchronously: two retries, and a tick older than one
    // schedule period is dropped (the next tick's window covers it via watermarks).
    retryAttempts: 2,
    maxEventAge: Duration.minutes(15),
    ...connections,
    environment: {
      ...connections.environment,
      ...secretAccess.environment,
      ...alerting.environment,
      COLLECTION_QUEUE_URL: jobs.queueUrl,
    },
  });

  // Each dead-lettered job's run is closed as failed with the reason, and alerted.
  const deadLetterConsumer = new SstFunction(stack, 'CollectDeadLetters', {
    handler: 'functions/collect/dead-letter.handler',
    description: 'Closes the runs of jobs that reached the dead-letter queue and raises an alert',
    timeout: 60,
    memorySize: 512,
    bind: [...config.clickhouse],
    // It builds the full runtime (registry from providers.yaml, the shipped files), but
    // collects nothing: no provider secrets.
    copyFiles: [...RUNTIME_FILES],
    permissions: alerting.permissions,
    environment: alerting.environment,
  });
  deadLetters.addConsumer(stack, {
    function: deadLetterConsumer,
    cdk: { eventSource: { batchSize: 10 } },
  });

  const schedules = SCHEDULES.filter((entry) => !entry.localOnly).map(
    (entry) =>
      new Cron(stack, `Schedule-${entry.id}`, {
        schedule: eventBridgeExpression(entry),
        // `sst dev` would otherwise fire production-like schedules at a developer's machine.
        enabled: !app.local,
        job: {
          function: dispatch,
          cdk: { target: { event: RuleTargetInput.fromObject({ schedule_id: entry.id }) } },
        },
        cdk: { rule: { description: `optiinfra ${app.stage}: ${entry.description}`.slice(0, 512) } },
      }),
  );

  const notify = new SnsAction(alarmTopic);

  const deadLetterAlarm = new Alarm(stack, 'CollectionJobsDLQNotEmpty', {
    alarmDescription: `Collection jobs failed ${MAX_RECEIVE_COUNT} times and were moved to the dead-letter queue. See docs/DEPLOY.md (Alarms) to inspect and redrive them.`,
    // The DLQ consumer takes messages at once, so count arrivals, not what waits there.
    metric: deadLetters.cdk.queue.metricNumberOfMessagesReceived({
      period: Duration.minutes(5),
      statistic: 'Sum',
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  deadLetterAlarm.addAlarmAction(notify);
  deadLetterAlarm.addOkAction(notify);

  // A failing dispatch queues nothing, so nothing reaches the DLQ: alarm on it directly.
  const dispatchAlarm = new Alarm(stack, 'CollectDispatchErrors', {
    alarmDescription:
      'The schedule dispatcher failed: scheduled collections were not queued. Check its logs (ClickHouse reachable? secrets set?).',
    metric: dispatch.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  dispatchAlarm.addAlarmAction(notify);
  dispatchAlarm.addOkAction(notify);

  stack.addOutputs({
    CollectionQueueUrl: jobs.queueUrl,
    DeadLetterQueueUrl: deadLetters.queueUrl,
    AlarmTopicArn: alarmTopic.topicArn,
  });
  return {
    jobs,
    deadLetters,
    deadLetterConsumer,
    worker,
    dispatch,
    schedules,
    alarmTopic,
    deadLetterAlarm,
    dispatchAlarm,
  };
}

function eventBridgeExpression(entry: ScheduleEntry): `rate(${string})` | `cron(${string})` {
  const { expression } = entry;
  if (!isValidExpression(expression) || !/^(rate|cron)\(.+\)$/.test(expression)) {
    throw new Error(
      `Schedule "${entry.id}": "${entry.expression}" is not an EventBridge rate(...) or cron(...) expression`,
    );
  }
  return expression as `rate(${string})` | `cron(${string})`;
}
