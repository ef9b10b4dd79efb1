import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionJob } from '../../lib/collector/types';
import { type FakeServer, startFakeServer } from '../helpers/fake-server';
import { rows, TEST_DATA_DIR } from '../helpers/store';

/**
 * The deployed path, as Lambda runs it: functions/_runtime.ts builds the runtime from the
 * environment; dispatch plans jobs for a schedule entry and sends them with the real SQS
 * client (AWS JSON 1.0) to a local SQS stand-in; the worker runs what SQS delivered.
 */
let sqs: FakeServer;
const sent: { Id: string; MessageBody: string }[] = [];

beforeAll(async () => {
  sqs = await startFakeServer((req) => {
    if (req.headers['x-amz-target'] !== 'AmazonSQS.SendMessageBatch') {
      return { status: 400, body: { __type: 'com.amazonaws.sqs#InvalidAction', message: 'unexpected call' } };
    }
    const input = JSON.parse(req.body) as {
      QueueUrl: string;
      Entries: { Id: string; MessageBody: string }[];
    };
    sent.push(...input.Entries);
    return {
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: {
        Successful: input.Entries.map((e) => ({
          Id: e.Id,
          MessageId: `m-${e.Id}-${sent.length}`,
          MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
        })),
        Failed: [],
      },
    };
  });
  const dir = mkdtempSync(join(tmpdir(), 'conn-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    'connections:\n  - customer_id: lambda-co\n    provider: local\n    settings: { hourly_rate: "1.20" }\n',
  );
  Object.assign(process.env, {
    OPTIINFRA_DATA_DIR: TEST_DATA_DIR,
    CLICKHOUSE_DATABASE: `fn_${process.pid}`,
    OPTIINFRA_CONNECTIONS_FILE: file,
    COLLECTION_QUEUE_URL: `${sqs.url}/000000000000/collection-jobs`,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    LOG_LEVEL: 'SILENT',
  });
  const { getRuntime } = await import('../../functions/_runtime');
  const { runMigrations } = await import('../../lib/clickhouse/migrate');
  await runMigrations((await getRuntime()).store);
});
afterAll(() => sqs.close());

const sqsEvent = (bodies: string[]): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `msg-${i}`,
    receiptHandle: `rh-${i}`,
    body,
    attributes: {} as never,
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:collection-jobs',
    awsRegion: 'us-east-1',
  })),
});

describe('dispatch and worker Lambdas', () => {
  it('dispatch queues one job per connection the schedule entry covers, recorded as queued', async () => {
    const { handler } = await import('../../functions/collect/dispatch');
    const out = await handler({ schedule_id: 'local-machine' });
    expect(out).toEqual({ schedule_id: 'local-machine', queued: 1 });
    expect(sent).toHaveLength(1);
    const job = JSON.parse(sent[0]?.MessageBody ?? '{}') as CollectionJob;
    expect(job).toMatchObject({
      customerId: 'lambda-co',
      provider: 'local',
      trigger: 'scheduled',
      dataTypes: ['performance', 'resource', 'cost'],
    });
    const { getRuntime } = await import('../../functions/_runtime');
    const runs = await rows<{ status: string }>(
      (await getRuntime()).store,
      'SELECT status FROM collection_runs FINAL WHERE task_id = {t:String}',
      {
        t: job.taskId,
      },
    );
    expect(runs).toEqual([{ status: 'queued' }]);
  });

  it('the worker runs delivered jobs and reports only the unusable message as a batch item failure', async () => {
    const { handler } = await import('../../functions/collect/worker');
    const job = sent[0]?.MessageBody as string;
    const result = await handler(sqsEvent([job, '{"not":"a job"}']));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    const { getRuntime } = await import('../../functions/_runtime');
    const taskId = (JSON.parse(job) as CollectionJob).taskId;
    const runs = await rows<{ status: string; rows: Record<string, number> }>(
      (await getRuntime()).store,
      'SELECT status, rows FROM collection_runs FINAL WHERE task_id = {t:String}',
      { t: taskId },
    );
    expect(runs[0]?.status).toBe('succeeded');
    expect(Number(runs[0]?.rows.resource)).toBe(1);
  });

  it('dispatch rejects an unknown schedule id loudly (EventBridge retries, then the alarm fires)', async () => {
    const { handler } = await import('../../functions/collect/dispatch');
    await expect(handler({ schedule_id: 'nope' })).rejects.toThrow('unknown schedule_id "nope"');
  });
});
