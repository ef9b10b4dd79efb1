/**
 * The tokens one run may spend on the judge. Each call reserves its estimate before it is
 * made (so concurrent calls cannot overshoot together) and settles to what Groq reports.
 */
export interface TokenBudget {
  readonly limit: number;
  /** Tokens spent by settled calls. */
  readonly used: number;
  /** Reserves `estimate` tokens; false when that would exceed the limit (nothing reserved). */
  reserve(estimate: number): boolean;
  /** Replaces a reservation by the tokens actually spent. */
  settle(reserved: number, actual: number): void;
  /** True once a reservation has been refused. */
  readonly exhausted: boolean;
}

export function createTokenBudget(limit: number): TokenBudget {
  let used = 0;
  let reserved = 0;
  let exhausted = false;
  return {
    limit,
    get used() {
      return used;
    },
    get exhausted() {
      return exhausted;
    },
    reserve(estimate) {
      if (used + reserved + estimate > limit) {
        exhausted = true;
        return false;
      }
      reserved += estimate;
      return true;
    },
    settle(held, actual) {
      reserved = Math.max(0, reserved - held);
      used += actual;
    },
  };
}
