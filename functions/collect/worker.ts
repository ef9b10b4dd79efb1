import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runCollection } from '../../lib/collector/run';
import { parseJobMessage } from '../../lib/collector/sqs-queue';
import { getRuntime } from '../_runtime';

/**
 * SQS consumer: runs each job. A job whose run cannot be recorded (ClickHouse down) is
 * reported as a batch item failure so SQS redelivers it, and after maxReceiveCount moves
 * it to the DLQ. Provider failures are not failures here: they are recorded in the run.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const rt = await getRuntime();
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await runCollection(parseJobMessage(record.body), rt.runDeps);
    } catch (err) {
      rt.logger.error('job failed', { message_id: record.messageId, error: (err as Error).message });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
