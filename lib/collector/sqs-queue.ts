import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JobQueue } from './queue';
import type { CollectionJob } from './types';

/** Sends jobs to SQS, ten per SendMessageBatch call; any entry SQS refuses is an error. */
export function createSqsJobQueue(queueUrl: string, client: SQSClient = new SQSClient({})): JobQueue {
  return {
    async send(jobs) {
      for (let i = 0; i < jobs.length; i += 10) {
        const chunk = jobs.slice(i, i + 10);
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((job, j) => ({ Id: String(j), MessageBody: JSON.stringify(job) })),
          }),
        );
        if (out.Failed && out.Failed.length > 0) {
          const f = out.Failed[0];
          throw new Error(`SQS refused ${out.Failed.length} job(s): ${f?.Code} ${f?.Message ?? ''}`.trim());
        }
      }
    },
  };
}

/** Parses an SQS message body back into a job; throws on anything malformed. */
export function parseJobMessage(body: string): CollectionJob {
  const job = JSON.parse(body) as CollectionJob;
  if (
    !job ||
    typeof job.taskId !== 'string' ||
    typeof job.customerId !== 'string' ||
    !Array.isArray(job.dataTypes)
  ) {
    throw new Error('malformed collection job message');
  }
  return job;
}
