import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { claimDeliveredJob } from '../../lib/collector/reaper';
import { runCollection } from '../../lib/collector/run';
import { parseJobMessage } from '../../lib/collector/sqs-queue';
import { getRuntime } from '../_runtime';

/**
 * SQS consumer: runs each job. A job whose run cannot be recorded (ClickHouse down) is
 * reported as a batch item failure so SQS redelivers it, and after maxReceiveCount moves
 * it to the DLQ. Provider failures are not failures here: they are recorded in the run.
 * A redelivered message (the worker before it died or timed out) keeps its task id: its
 * run is closed as interrupted and the job runs again as attempt + 1, unless it finished,
 * another worker holds its lease, or its attempts are spent (lib/collector/reaper.ts).
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const rt = await getRuntime();
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const job = await claimDeliveredJob(parseJobMessage(record.body), {
        store: rt.store,
        writer: rt.writer,
        logger: rt.logger,
        maxAttempts: rt.config.collection.maxAttempts,
        onClosed: (run, reason) =>
          rt.alerts
            .raise(
              { customerId: run.customer_id, provider: run.provider, connectionId: run.connection_id },
              'consecutive_failures',
              {
                message: 'a collection was interrupted on every attempt',
                lastError: reason,
                taskId: run.task_id,
              },
            )
            .then(() => undefined),
      });
      if (job) await runCollection(job, rt.runDeps);
    } catch (err) {
      rt.logger.error('job failed', { message_id: record.messageId, error: (err as Error).message });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
