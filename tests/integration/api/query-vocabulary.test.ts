import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../../lib/api/handlers';
import { MAX_PERIOD_DAYS, PERIOD_DEFAULTS } from '../../../lib/api/query';
import { ROUTES } from '../../../lib/api/routes';
import { createWriter } from '../../../lib/clickhouse/writer';
import { parseConfig } from '../../../lib/config/schema';
import { createRegistry, PROVIDERS } from '../../../lib/providers/registry';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import { DAY_MS } from '../../../lib/time';
import { routeCaller } from '../../helpers/route-call';
import { silentLogger, testStore } from '../../helpers/store';

/**
 * The one query vocabulary (lib/api/query.ts), route by route: every read that covers
 * time parses `days`, `start`/`end`, `start` alone and bad values the same way, fails
 * with the same messages, and echoes the same `period`; bucketed reads take
 * `granularity` and their older alias names.
 */

const C = 'vocab-c';
let runtime: Runtime;
const call = routeCaller(ROUTES, HANDLERS, () => runtime, C);

beforeAll(async () => {
  const store = await testStore();
  runtime = await createRuntime(parseConfig({}), {
    mode: 'lambda',
    env: {},
    store,
    logger: silentLogger(),
    registry: createRegistry([...PROVIDERS]),
    connections: [],
  });
  const point = (ts: string) => ({
    customer_id: C,
    provider: 'aws',
    resource_id: 'i-1',
    resource_type: 'instance',
    region: 'us-east-1',
    metric: 'cpu_utilization',
    unit: 'percent',
    value: 10,
    ts,
    collected_at: ts,
  });
  // One point in the fixed period and one in every period that ends now, so
  // performance-resource (404 without data) answers 200 to every valid period below.
  await createWriter(store).write('performance_points', [
    point('2026-03-01T12:00:00Z'),
    point(new Date(Date.now() - 3_600_000).toISOString()),
  ]);
});

/** Three days ago (a date): hourly buckets from there to now stay within every bucket limit. */
const RECENT = new Date(Date.now() - 3 * DAY_MS).toISOString().slice(0, 10);

type Agent = keyof typeof PERIOD_DEFAULTS;
const agentOf = (name: string): Agent =>
  // Recommendations read over the costs' default period (lib/api/handlers/recommendations.ts).
  name.startsWith('costs-') || name.startsWith('recommendations-') ? 'costs' : (name.split('-')[0] as Agent);

/** Every time-taking route of the table (all GETs taking `days`), with what the call needs. */
const TIME_ROUTES: { name: string; extraPath?: Record<string, string> }[] = [
  { name: 'costs-metrics' },
  { name: 'costs-latest' },
  { name: 'costs-trends' },
  { name: 'costs-by-resource' },
  { name: 'costs-by-type' },
  { name: 'costs-total' },
  { name: 'costs-collection-spend' },
  { name: 'performance-metrics' },
  { name: 'performance-latest' },
  { name: 'performance-trends' },
  { name: 'performance-by-resource' },
  { name: 'performance-average' },
  { name: 'performance-resource', extraPath: { resource_id: 'i-1' } },
  { name: 'performance-summary' },
  { name: 'resources-changes' },
  { name: 'applications-quality' },
  { name: 'applications-hallucinations' },
  { name: 'applications-toxicity' },
  { name: 'applications-summary' },
  { name: 'applications-models' },
  { name: 'recommendations-summary' },
];

/** Where an open period ends for the agent, at `now`. */
function anchor(agent: Agent, now: number): number {
  if (PERIOD_DEFAULTS[agent].anchor === 'now') return now;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

async function get(route: (typeof TIME_ROUTES)[number], query: Record<string, string>) {
  return call(route.name, { query, ...(route.extraPath ? { extraPath: route.extraPath } : {}) });
}

/** Asserts the echoed period: `start`/`end` exact when given, else the agent's anchor (± the call's duration). */
function expectPeriod(
  body: { period: { start: string; end: string } },
  want: { start?: string; end?: string; days?: number },
  agent: Agent,
  before: number,
  after: number,
) {
  const start = Date.parse(body.period.start);
  const end = Date.parse(body.period.end);
  if (want.end) expect(end).toBe(Date.parse(want.end));
  else {
    expect(end).toBeGreaterThanOrEqual(anchor(agent, before));
    expect(end).toBeLessThanOrEqual(anchor(agent, after));
  }
  if (want.start) expect(start).toBe(Date.parse(want.start));
  else expect(end - start).toBe((want.days ?? PERIOD_DEFAULTS[agent].defaultDays) * DAY_MS);
}

describe('the period, on every time-taking route', () => {
  it('covers every GET route that takes days', () => {
    // JSON reads (the FOCUS export answers a file, not a period echo).
    const takesDays = ROUTES.filter(
      (r) => r.method === 'GET' && !r.produces && r.query && 'days' in r.query.shape,
    );
    expect(takesDays.map((r) => r.name).sort()).toEqual(TIME_ROUTES.map((r) => r.name).sort());
  });

  const VALID: [string, Record<string, string>, { start?: string; end?: string; days?: number }][] = [
    ['nothing: the agent default', {}, {}],
    ['days', { days: '3' }, { days: 3 }],
    [
      'start and end, dates',
      { start: '2026-03-01', end: '2026-03-02' },
      { start: '2026-03-01', end: '2026-03-02' },
    ],
    [
      'start and end, date-times with zones',
      { start: '2026-03-01T02:00:00+02:00', end: '2026-03-01T23:30:00.5Z' },
      { start: '2026-03-01T00:00:00Z', end: '2026-03-01T23:30:00.500Z' },
    ],
    ['start only: up to the open end', { start: RECENT }, { start: RECENT }],
    ['days with end', { days: '2', end: '2026-03-02' }, { end: '2026-03-02', days: 2 }],
  ];

  for (const route of TIME_ROUTES) {
    const agent = agentOf(route.name);
    it.each(VALID)(`${route.name}: %s → 200 with period`, async (_, query, want) => {
      const before = Date.now();
      const res = await get(route, query);
      const after = Date.now();
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expectPeriod(res.body, want, agent, before, after);
    });
  }

  const BAD: [string, Record<string, string>, string][] = [
    ['days 0', { days: '0' }, `query parameter days: must be a whole number from 1 to ${MAX_PERIOD_DAYS}`],
    [
      'days 1.5',
      { days: '1.5' },
      `query parameter days: must be a whole number from 1 to ${MAX_PERIOD_DAYS}`,
    ],
    [
      'days over the maximum',
      { days: String(MAX_PERIOD_DAYS + 1) },
      `query parameter days: must be a whole number from 1 to ${MAX_PERIOD_DAYS}`,
    ],
    [
      'days with start',
      { days: '7', start: '2026-03-01' },
      'query parameter days: give either days or start (with an optional end), not both',
    ],
    [
      'a date-time without zone',
      { start: '2026-03-01T10:00' },
      'query parameter start: must be an ISO 8601 date (2026-03-01) or date-time with a zone (2026-03-01T10:00:00Z), got "2026-03-01T10:00"',
    ],
    ['no such date', { start: '2026-02-30' }, 'query parameter start: must be an ISO 8601 date'],
    ['words', { end: 'tomorrow' }, 'query parameter end: must be an ISO 8601 date'],
    [
      'start after end',
      { start: '2026-03-02', end: '2026-03-01' },
      'query parameter end: must be after start (2026-03-02T00:00:00.000Z)',
    ],
    [
      'an empty period',
      { start: '2026-03-01', end: '2026-03-01' },
      'query parameter end: must be after start (2026-03-01T00:00:00.000Z)',
    ],
    [
      'over the maximum span',
      { start: '2024-01-01', end: '2026-01-03' },
      `query parameter start: the period may cover at most ${MAX_PERIOD_DAYS} days`,
    ],
    ['an unknown key', { window: '7d' }, 'query parameter: Unrecognized key: "window"'],
  ];

  for (const route of TIME_ROUTES) {
    it.each(BAD)(`${route.name}: %s → the same 400`, async (_, query, message) => {
      const res = await get(route, query);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
      expect(res.body.error.message.startsWith(message), res.body.error.message).toBe(true);
    });
  }
});

/** Bucketed reads: the granularities each takes, and its older alias names. */
const BUCKETED: { name: string; values: string[]; aliases: string[]; fallback: string }[] = [
  { name: 'costs-trends', values: ['day', 'week', 'month'], aliases: ['group_by'], fallback: 'day' },
  {
    name: 'performance-metrics',
    values: ['raw', 'minute', '5m', '15m', 'hour', 'day'],
    aliases: ['step'],
    fallback: 'raw',
  },
  { name: 'performance-trends', values: ['hour', 'day'], aliases: ['step'], fallback: 'hour' },
  // Applications: hours up to two days, days beyond (the fallback of a 7-day default period).
  { name: 'applications-quality', values: ['hour', 'day'], aliases: [], fallback: 'day' },
];

describe('granularity, on every bucketed route', () => {
  const period = { start: '2026-03-01', end: '2026-03-03' };
  for (const b of BUCKETED) {
    const route = { name: b.name };
    it(`${b.name}: granularity and each alias choose the bucket, echoed as granularity`, async () => {
      for (const param of ['granularity', ...b.aliases]) {
        for (const value of b.values) {
          const res = await get(route, { ...period, [param]: value });
          expect(res.status, `${param}=${value}: ${JSON.stringify(res.body)}`).toBe(200);
          expect(res.body.granularity).toBe(value);
        }
      }
      const dflt = await get(route, { days: '7' });
      expect(dflt.body.granularity).toBe(b.fallback);
    });

    it(`${b.name}: a value outside ${b.values.join('|')} is a 400 naming the parameter`, async () => {
      for (const param of ['granularity', ...b.aliases]) {
        const res = await get(route, { ...period, [param]: 'fortnight' });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(new RegExp(`^query parameter ${param}: `));
      }
    });

    if (b.aliases.length) {
      it(`${b.name}: granularity and an alias that disagree are a 400`, async () => {
        const alias = b.aliases[0] as string;
        const res = await get(route, {
          ...period,
          granularity: b.values[0] as string,
          [alias]: b.values[1] as string,
        });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toBe(
          `query parameter ${alias}: is another name of granularity; give one of granularity, ${alias}`,
        );
      });
    }
  }

  it('weeks start on Monday', async () => {
    const res = await get(
      { name: 'costs-trends' },
      { start: '2026-03-04', end: '2026-03-20', granularity: 'week' },
    );
    expect(res.status).toBe(200);
    const starts = (res.body.buckets as { start: string }[]).map((x) => new Date(x.start).getUTCDay());
    expect(starts.length).toBeGreaterThan(1);
    expect(new Set(starts)).toEqual(new Set([1]));
  });

  it('routes without buckets refuse granularity', async () => {
    const res = await get({ name: 'costs-total' }, { granularity: 'day' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('query parameter: Unrecognized key: "granularity"');
  });
});

describe('agent triggers and data_types', () => {
  const TRIGGERS: [string, string][] = [
    ['costs-trigger-collection', 'cost'],
    ['performance-trigger', 'performance'],
    ['resources-trigger', 'resource'],
    ['applications-trigger', 'application'],
  ];
  it.each(TRIGGERS)(
    '%s accepts data_types naming %s and refuses others, saying which is allowed',
    async (name, own) => {
      const other = own === 'cost' ? 'performance' : 'cost';
      const refused = await call(name, { body: { customer_id: C, data_types: [own, other] } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(
        new RegExp(
          `^body data_types: this route collects only "${own}" \\(allowed: \\["${own}"\\]\\); "${other}"`,
        ),
      );
      // Its own type passes validation: the request goes on to the tenancy check.
      const accepted = await call(name, {
        body: { customer_id: 'someone-else', data_types: [own] },
      });
      expect(accepted.status).toBe(403);
    },
  );
});
