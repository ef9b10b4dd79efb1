import type { SQSEvent } from 'aws-lambda';
import { closeDeadLetteredJob } from '../../lib/collector/reaper';
import { getRuntime } from '../_runtime';

/**
 * Consumer of the collection-jobs dead-letter queue: each job there failed every delivery.
 * Its run is closed as failed with the reason, and a `dead_letter` alert is raised.
 */
export const handler = async (event: SQSEvent) => {
  const rt = await getRuntime();
  let closed = 0;
  for (const record of event.Records) {
    const receives = Number(record.attributes?.ApproximateReceiveCount ?? 0);
    if (await closeDeadLetteredJob(record.body, receives, rt)) closed++;
  }
  return { closed };
};
