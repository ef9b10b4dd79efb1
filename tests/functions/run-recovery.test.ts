import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, recordRun, runFieldsOf } from '../../lib/clickhouse/repos/runs';
import type { CollectionJob } from '../../lib/collector/types';
import type { Runtime } from '../../lib/runtime';
import { type FakeServer, startFakeServer } from '../helpers/fake-server';
import { rows, TEST_DATA_DIR } from '../helpers/store';

/**
 * The AWS side of "runs always end", as Lambda runs it: the worker handed a message again
 * after its first worker died (SQS redelivery), the reaper on its schedule entry, and the
 * dead-letter consumer — with the real SQS client against a local SQS stand-in.
 */
let sqs: FakeServer;
const sent: { Id: string; MessageBody: string }[] = [];
let rt: Runtime;

beforeAll(async () => {
  sqs = await startFakeServer((req) => {
    const input = JSON.parse(req.body) as { Entries: { Id: string; MessageBody: string }[] };
    sent.push(...input.Entries);
    return {
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: {
        Successful: input.Entries.map((e) => ({
          Id: e.Id,
          MessageId: randomUUID(),
          MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
        })),
        Failed: [],
      },
    };
  });
  const dir = mkdtempSync(join(tmpdir(), 'conn-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(file, 'connections:\n  - customer_id: lambda-co\n    provider: local\n    id: box\n');
  Object.assign(process.env, {
    OPTIINFRA_DATA_DIR: TEST_DATA_DIR,
    CLICKHOUSE_DATABASE: `rr_${process.pid}`,
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
  rt = await getRuntime();
  await runMigrations(rt.store);
});
afterAll(() => sqs.close());

const sqsEvent = (body: string, receiveCount: number): SQSEvent => ({
  Records: [
    {
      messageId: randomUUID(),
      receiptHandle: 'rh',
      body,
      attributes: { ApproximateReceiveCount: String(receiveCount) } as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:collection-jobs',
      awsRegion: 'us-east-1',
    },
  ],
});

const newJob = (): CollectionJob => ({
  taskId: randomUUID(),
  customerId: 'lambda-co',
  provider: 'local',
  dataTypes: ['resource'],
  trigger: 'scheduled',
  queuedAt: new Date(Date.now() - 600_000).toISOString(),
});

/** A run its worker left `running` (the Lambda died) with its lease ended a while ago. */
async function diedRunning(job: CollectionJob) {
  await recordRun(rt.writer, {
    ...runFieldsOf(job),
    status: 'running',
    started_at: new Date(Date.now() - 500_000),
    lease_until: new Date(Date.now() - 60_000),
  });
}

const resourceRows = async () =>
  Number(
    (
      await rows<{ n: string }>(
        rt.store,
        "SELECT toString(count()) AS n FROM resource_snapshots FINAL WHERE customer_id = 'lambda-co'",
      )
    )[0]?.n,
  );

describe('runs whose worker died, in AWS', () => {
  it('SQS redelivery reuses the task id as attempt 2, and a duplicate delivery never runs it again', async () => {
    const { handler } = await import('../../functions/collect/worker');
    const job = newJob();
    await diedRunning(job);
    const out = await handler(sqsEvent(JSON.stringify(job), 2));
    expect(out.batchItemFailures).toEqual([]);
    const run = await getRun(rt.store, job.taskId);
    expect(run).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((run?.details as { previous_attempts?: unknown[] } | undefined)?.previous_attempts).toEqual([
      expect.objectContaining({ attempt: 1, error: expect.stringContaining('interrupted') }),
    ]);
    const after = await resourceRows();
    expect(after).toBeGreaterThan(0);

    await handler(sqsEvent(JSON.stringify(job), 3));
    expect(await getRun(rt.store, job.taskId)).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(await resourceRows()).toBe(after);
  });

  it('the reaper entry closes a run past its lease and queues its job again with the same task id, attempt 2', async () => {
    const { handler } = await import('../../functions/collect/dispatch');
    const job = newJob();
    await diedRunning(job);
    const before = sent.length;
    const out = (await handler({ schedule_id: 'run-reaper' })) as { retried?: string[] };
    expect(out.retried).toContain(job.taskId);
    const resent = sent.slice(before).map((e) => JSON.parse(e.MessageBody) as CollectionJob);
    expect(resent.filter((j) => j.taskId === job.taskId)).toEqual([
      expect.objectContaining({ taskId: job.taskId, attempt: 2 }),
    ]);
    expect(await getRun(rt.store, job.taskId)).toMatchObject({ status: 'queued', attempt: 2 });
  });

  it('the dead-letter consumer closes the run as failed with the reason and raises an alert', async () => {
    const { handler } = await import('../../functions/collect/dead-letter');
    const job = { ...newJob(), connectionId: 'box' };
    await diedRunning(job);
    expect(await handler(sqsEvent(JSON.stringify(job), 3))).toEqual({ closed: 1 });
    const run = await getRun(rt.store, job.taskId);
    expect(run?.status).toBe('failed');
    expect(run?.errors.run).toMatch(/^moved to the dead-letter queue after 3 deliveries/);
    expect(run?.finished_at).not.toBeNull();
    const alerts = await rows<{ kind: string; status: string; task_id: string }>(
      rt.store,
      "SELECT kind, status, task_id FROM alerts FINAL WHERE customer_id = 'lambda-co'",
    );
    expect(alerts).toEqual([{ kind: 'dead_letter', status: 'open', task_id: job.taskId }]);
  });
});
