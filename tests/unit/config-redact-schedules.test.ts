import { describe, expect, it } from 'vitest';
import { computeWindow } from '../../lib/collector/run';
import { parseConfig, redactConfig } from '../../lib/config/schema';
import { ConfigError } from '../../lib/errors';
import { createRedactor } from '../../lib/redact';
import { eventBridgeCronToStandard, isValidExpression, rateToMs, SCHEDULES } from '../../lib/schedules';

describe('parseConfig', () => {
  it('defaults to embedded ClickHouse in .optiinfra/data', () => {
    const c = parseConfig({});
    expect(c.clickhouse.url).toBeUndefined();
    expect(c.dataDir).toBe('.optiinfra/data');
    expect(c.defaultCustomerId).toBe('default');
    expect(c.port).toBe(3000);
  });

  it('names every bad key', () => {
    const err = (() => {
      try {
        parseConfig({ CLICKHOUSE_URL: 'ftp://x', PORT: 'eighty', DEFAULT_CUSTOMER_ID: 'a b' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain('CLICKHOUSE_URL: must be an http(s):// URL');
    expect(err?.message).toContain('PORT: must be a whole number');
    expect(err?.message).toContain('DEFAULT_CUSTOMER_ID');
  });

  it('never shows the ClickHouse password when logged', () => {
    const c = parseConfig({
      CLICKHOUSE_URL: 'https://ch.example.com:8443',
      CLICKHOUSE_PASSWORD: 'hunter2-secret',
    });
    expect(JSON.stringify(redactConfig(c))).not.toContain('hunter2-secret');
  });
});

describe('createRedactor', () => {
  it('removes known secrets and credential-looking text', () => {
    const redact = createRedactor(['sk-live-123456']);
    expect(redact('call failed with sk-live-123456 and Authorization: Bearer abcdefghijkl12345')).toBe(
      'call failed with *** and Authorization: Bearer ***',
    );
    expect(redact('GET https://user:pa55word@host/x?api_key=zzz&x=1')).toBe(
      'GET https://***:***@host/x?api_key=***&x=1',
    );
  });
});

describe('schedule table', () => {
  it('has valid, unique EventBridge expressions', () => {
    expect(new Set(SCHEDULES.map((s) => s.id)).size).toBe(SCHEDULES.length);
    for (const s of SCHEDULES) expect(isValidExpression(s.expression), s.id).toBe(true);
  });

  it('converts EventBridge cron and rate expressions', () => {
    expect(eventBridgeCronToStandard('cron(20 1,9,17 * * ? *)')).toBe('20 1,9,17 * * *');
    expect(eventBridgeCronToStandard('cron(0 12 ? * 2-6 *)')).toBe('0 12 * * 1-5');
    expect(rateToMs('rate(15 minutes)')).toBe(900_000);
    expect(rateToMs('rate(1 hour)')).toBe(3_600_000);
    expect(rateToMs('cron(0 * * * ? *)')).toBeNull();
  });
});

describe('computeWindow', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  const H = 3_600_000;
  it('starts at the watermark', () => {
    const w = computeWindow({ now, watermark: new Date('2026-11-20T11:45:00Z'), maxBackfillMs: 24 * H });
    expect(w.start.toISOString()).toBe('2026-11-20T11:45:00.000Z');
    expect(w.end).toEqual(now);
  });
  it('bounds the backfill after a long outage', () => {
    const w = computeWindow({ now, watermark: new Date('2026-10-01T00:00:00Z'), maxBackfillMs: 24 * H });
    expect(w.start.toISOString()).toBe('2026-11-19T12:00:00.000Z');
  });
  it('re-reads the restatement window even when the watermark is recent', () => {
    const w = computeWindow({
      now,
      watermark: new Date('2026-11-20T11:00:00Z'),
      restatementMs: 48 * H,
      maxBackfillMs: 30 * 24 * H,
    });
    expect(w.start.toISOString()).toBe('2026-11-18T12:00:00.000Z');
  });
  it('uses the initial lookback without a watermark', () => {
    const w = computeWindow({ now, watermark: null, initialLookbackMs: 2 * H, maxBackfillMs: 24 * H });
    expect(w.start.toISOString()).toBe('2026-11-20T10:00:00.000Z');
  });
});
