import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryable, parseRetryAfter, withRetry } from '../../lib/collector/retry';
import { ProviderAuthError, ProviderRateLimitError, ProviderUnavailableError } from '../../lib/errors';

const policy = { maxAttempts: 4, baseMs: 100, capMs: 1000 };

describe('withRetry', () => {
  it('retries retryable failures with growing, capped, jittered waits, then succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw new ProviderUnavailableError('x', 'HTTP 503');
        return 'ok';
      },
      policy,
      { sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** i));
    });
  });

  it('does not retry an auth error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new ProviderAuthError('x', 'bad key');
        },
        policy,
        { sleep: async () => undefined },
      ),
    ).rejects.toThrow('bad key');
    expect(calls).toBe(1);
  });

  it("waits at least as long as the provider's Retry-After", async () => {
    const waits: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (calls++ === 0) throw new ProviderRateLimitError('x', '429', 2500);
        return 1;
      },
      policy,
      { sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits).toEqual([2500]);
  });

  it('gives up after maxAttempts and rethrows the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new ProviderUnavailableError('x', `attempt ${calls}`);
        },
        policy,
        { sleep: async () => undefined },
      ),
    ).rejects.toThrow('attempt 4');
  });
});

describe('retry helpers', () => {
  it('full jitter stays within [0, min(cap, base*2^n)]', () => {
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it.each([
    [{ $metadata: { httpStatusCode: 503 } }, true],
    [{ status: 429 }, true],
    [{ statusCode: 400 }, false],
    [{ code: 'ECONNRESET' }, true],
    [new Error('plain'), false],
  ])('classifies %j as retryable=%s', (err, expected) => {
    expect(isRetryable(err)).toBe(expected);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')),
    ).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
