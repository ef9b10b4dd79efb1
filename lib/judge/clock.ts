import { abortableSleep } from '../collector/retry';

/** Time as the judge sees it; tests pass a fake one so waits are asserted, not slept. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now(), sleep: abortableSleep };
