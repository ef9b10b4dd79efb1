import type { CollectionJob } from './types';

/**
 * Where jobs wait for a worker. In AWS: the SQS collection-jobs queue (lib/collector/sqs-queue.ts).
 * Locally: an in-process queue with a concurrency bound (lib/local/job-queue.ts).
 */
export interface JobQueue {
  send(jobs: readonly CollectionJob[]): Promise<void>;
}
