import type { Clock } from './clock';

/**
 * Shares Groq's `retry-after` across every call in flight. When one call is throttled, the
 * others would otherwise keep firing into the same limit and each earn its own 429;
 * instead every call waits at the gate until the wait Groq asked for has passed.
 */
export interface RateGate {
  /** Holds every caller until `ms` from now (a longer earlier block is kept). */
  block(ms: number): void;
  /** Resolves once no block is in force. */
  wait(signal?: AbortSignal): Promise<void>;
}

export function createRateGate(clock: Clock): RateGate {
  let until = 0;
  return {
    block(ms) {
      until = Math.max(until, clock.now() + ms);
    },
    async wait(signal) {
      for (let left = until - clock.now(); left > 0; left = until - clock.now()) {
        await clock.sleep(left, signal);
      }
    },
  };
}
