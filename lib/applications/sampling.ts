import { createHash } from 'node:crypto';

/** Buckets per unit of sampling rate: rates are honoured to 1 in a million. */
export const SAMPLING_BUCKETS = 1_000_000;

/**
 * A stable number in [0, 1e6) for one interaction. A sample is evaluated when its bucket
 * is below `rate x 1e6`: the choice is uniform over request ids (so the evaluated share
 * is a statistical sample of the traffic), the same on every run and every retry, and a
 * new rate applies to the waiting backlog without rewriting anything.
 */
export function samplingBucket(customerId: string, application: string, requestId: string): number {
  const digest = createHash('sha256').update(`${customerId}\u0000${application}\u0000${requestId}`).digest();
  return digest.readUInt32BE(0) % SAMPLING_BUCKETS;
}

/** The bucket threshold for a sampling rate in [0, 1]. */
export function samplingThreshold(rate: number): number {
  return Math.round(Math.min(1, Math.max(0, rate)) * SAMPLING_BUCKETS);
}
