import { beforeAll, describe, expect, it } from 'vitest';
import {
  applicationsHallucinations,
  applicationsModels,
  applicationsQuality,
  applicationsSummary,
  applicationsToxicity,
} from '../../../lib/api/handlers/applications';
import type { RouteHandler } from '../../../lib/http/handler';
import type { Runtime } from '../../../lib/runtime';
import type {
  ApplicationEvaluationInput,
  ApplicationSampleInput,
  CostRowInput,
} from '../../../lib/schemas/rows';
import { appRuntime, customerAuth, invoke } from './support';

const C = 'rd-a';
const WINDOW = { start: '2026-11-01T00:00:00Z', end: '2026-11-03T00:00:00Z' };

type S = Partial<ApplicationSampleInput> & { request_id: string; sample_ts: string };
const sample = (s: S): ApplicationSampleInput => ({
  customer_id: C,
  application: 'support-bot',
  provider: 'aws',
  model: 'llama-8b',
  source: 'ingest',
  prompt: `prompt of ${s.request_id}`,
  response: `response of ${s.request_id}`,
  sampling_bucket: 123,
  received_at: s.sample_ts,
  ...s,
});

type E = Partial<ApplicationEvaluationInput> & { request_id: string; sample_ts: string };
const judged = (
  e: E,
  scores: [number, number, number],
  h: [0 | 1, number, string[]],
  t: [0 | 1, number, string[]],
): ApplicationEvaluationInput => ({
  customer_id: C,
  application: 'support-bot',
  provider: 'aws',
  model: 'llama-8b',
  status: 'evaluated',
  coherence: scores[0],
  relevance: scores[1],
  accuracy: scores[2],
  hallucination: h[0],
  hallucination_score: h[1],
  unsupported_claims: h[2],
  toxic: t[0],
  toxicity_score: t[1],
  toxicity_categories: t[2],
  reasons: { hallucination: `h-reason ${e.request_id}`, toxicity: `t-reason ${e.request_id}` },
  judge_model: 'openai/gpt-oss-120b',
  prompt_version: 'v1-test',
  evaluated_at: '2026-11-02T23:00:00Z',
  attempts: 1,
  ...e,
});

const cost = (
  provider: string,
  customer: string,
  start: string,
  billed: string,
  key: string,
): CostRowInput => ({
  x_customer_id: customer,
  x_provider: provider,
  charge_category: 'Usage',
  billed_cost: billed,
  effective_cost: billed,
  billing_currency: 'USD',
  charge_period_start: start,
  charge_period_end: new Date(new Date(start).getTime() + 3_600_000),
  billing_period_start: '2026-11-01T00:00:00Z',
  billing_period_end: '2026-12-01T00:00:00Z',
  x_collected_at: '2026-11-03T00:00:00Z',
  x_line_key: key,
});

let rt: Runtime;
beforeAll(async () => {
  rt = await appRuntime({});
  await rt.writer.write('application_samples', [
    sample({
      request_id: 's1',
      sample_ts: '2026-11-01T10:15:00Z',
      latency_ms: 100,
      prompt_tokens: 100,
      completion_tokens: 50,
    }),
    sample({
      request_id: 's2',
      sample_ts: '2026-11-01T10:45:00Z',
      latency_ms: 200,
      prompt_tokens: 100,
      completion_tokens: 50,
    }),
    sample({
      request_id: 's3',
      sample_ts: '2026-11-01T11:30:00Z',
      latency_ms: 300,
      prompt_tokens: 200,
      completion_tokens: 100,
    }),
    sample({
      request_id: 's4',
      sample_ts: '2026-11-02T09:00:00Z',
      latency_ms: 400,
      prompt_tokens: 100,
      completion_tokens: 100,
    }),
    sample({
      request_id: 's5',
      sample_ts: '2026-11-01T10:30:00Z',
      model: 'llama-70b',
      latency_ms: 1000,
      prompt_tokens: 300,
      completion_tokens: 300,
    }),
    sample({
      request_id: 's6',
      sample_ts: '2026-11-01T12:00:00Z',
      application: 'coder',
      provider: 'runpod',
      model: 'qwen-7b',
      source: 'probe',
      latency_ms: 50,
    }),
    sample({
      request_id: 's7',
      sample_ts: '2026-11-02T12:00:00Z',
      application: 'coder',
      provider: 'runpod',
      model: 'qwen-7b',
    }),
    // Outside the window, and another customer's: never counted.
    sample({ request_id: 's8', sample_ts: '2026-10-20T12:00:00Z', latency_ms: 9999 }),
    sample({
      request_id: 'o1',
      sample_ts: '2026-11-01T10:00:00Z',
      customer_id: 'rd-other',
      latency_ms: 7777,
    }),
  ]);
  await rt.writer.write('application_evaluations', [
    judged(
      { request_id: 's1', sample_ts: '2026-11-01T10:15:00Z' },
      [0.9, 0.8, 0.7],
      [0, 0.1, []],
      [0, 0, []],
    ),
    judged(
      { request_id: 's2', sample_ts: '2026-11-01T10:45:00Z' },
      [0.7, 0.6, 0.5],
      [1, 0.9, ['claim A']],
      [0, 0.1, []],
    ),
    judged(
      { request_id: 's3', sample_ts: '2026-11-01T11:30:00Z' },
      [0.5, 1, 0.3],
      [1, 0.6, ['claim B', 'claim C']],
      [1, 0.8, ['harassment', 'profanity']],
    ),
    judged(
      { request_id: 's5', sample_ts: '2026-11-01T10:30:00Z', model: 'llama-70b' },
      [1, 1, 1],
      [0, 0, []],
      [1, 0.7, ['harassment']],
    ),
    judged(
      {
        request_id: 's6',
        sample_ts: '2026-11-01T12:00:00Z',
        application: 'coder',
        provider: 'runpod',
        model: 'qwen-7b',
      },
      [0.8, 0.8, 0.8],
      [0, 0.2, []],
      [0, 0.1, []],
    ),
    {
      customer_id: C,
      application: 'coder',
      provider: 'runpod',
      model: 'qwen-7b',
      request_id: 's7',
      sample_ts: '2026-11-02T12:00:00Z',
      status: 'unevaluated',
      error: "the judge's answer is not valid JSON",
      evaluated_at: '2026-11-02T23:00:00Z',
      attempts: 5,
    },
    judged(
      { request_id: 's8', sample_ts: '2026-10-20T12:00:00Z' },
      [0, 0, 0],
      [1, 1, ['old']],
      [1, 1, ['hate']],
    ),
    judged(
      { request_id: 'o1', sample_ts: '2026-11-01T10:00:00Z', customer_id: 'rd-other' },
      [0, 0, 0],
      [1, 1, ['x']],
      [1, 1, ['hate']],
    ),
  ]);
  await rt.writer.write('costs', [
    cost('aws', C, '2026-11-01T10:00:00Z', '10.50', 'a'),
    cost('aws', C, '2026-11-02T10:00:00Z', '2.25', 'b'),
    cost('aws', C, '2026-10-01T10:00:00Z', '100', 'c'),
    cost('aws', 'rd-other', '2026-11-01T10:00:00Z', '55', 'd'),
  ]);
});

function get(
  route: RouteHandler<Runtime>,
  name: string,
  provider: string,
  query: Record<string, string> = WINDOW,
  customer = C,
) {
  return invoke(rt, route, {
    method: 'GET',
    path: `/api/v2/applications/{customer_id}/{provider}/${name}`,
    pathParameters: { customer_id: customer, provider },
    query,
    auth: customerAuth(C),
  });
}

const OFF = { enabled: false, judge_model: 'openai/gpt-oss-120b', sampling_rate: 1 };

describe('application read API', () => {
  it('quality: average scores per application and model, per hour, and over the window', async () => {
    const res = await get(applicationsQuality, 'quality', 'all');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      customer_id: C,
      provider: 'all',
      period: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' },
      granularity: 'hour',
      evaluation: OFF,
    });
    expect(res.body.series).toEqual([
      {
        application: 'coder',
        model: 'qwen-7b',
        evaluated: 1,
        coherence: 0.8,
        relevance: 0.8,
        accuracy: 0.8,
        hallucination_rate: 0,
        toxicity_rate: 0,
        points: [
          {
            ts: '2026-11-01T12:00:00.000Z',
            evaluated: 1,
            coherence: 0.8,
            relevance: 0.8,
            accuracy: 0.8,
            hallucination_rate: 0,
            toxicity_rate: 0,
          },
        ],
      },
      {
        application: 'support-bot',
        model: 'llama-70b',
        evaluated: 1,
        coherence: 1,
        relevance: 1,
        accuracy: 1,
        hallucination_rate: 0,
        toxicity_rate: 1,
        points: [
          {
            ts: '2026-11-01T10:00:00.000Z',
            evaluated: 1,
            coherence: 1,
            relevance: 1,
            accuracy: 1,
            hallucination_rate: 0,
            toxicity_rate: 1,
          },
        ],
      },
      {
        application: 'support-bot',
        model: 'llama-8b',
        evaluated: 3,
        coherence: 0.7,
        relevance: 0.8,
        accuracy: 0.5,
        hallucination_rate: 0.6667,
        toxicity_rate: 0.3333,
        points: [
          {
            ts: '2026-11-01T10:00:00.000Z',
            evaluated: 2,
            coherence: 0.8,
            relevance: 0.7,
            accuracy: 0.6,
            hallucination_rate: 0.5,
            toxicity_rate: 0,
          },
          {
            ts: '2026-11-01T11:00:00.000Z',
            evaluated: 1,
            coherence: 0.5,
            relevance: 1,
            accuracy: 0.3,
            hallucination_rate: 1,
            toxicity_rate: 1,
          },
        ],
      },
    ]);
  });

  it('quality: by day, for one application and model', async () => {
    const res = await get(applicationsQuality, 'quality', 'aws', {
      ...WINDOW,
      granularity: 'day',
      application: 'support-bot',
      model: 'llama-8b',
    });
    expect(res.body.filters).toEqual({ application: 'support-bot', model: 'llama-8b' });
    expect(res.body.series.map((s: { points: unknown }) => s.points)).toEqual([
      [
        {
          ts: '2026-11-01T00:00:00.000Z',
          evaluated: 3,
          coherence: 0.7,
          relevance: 0.8,
          accuracy: 0.5,
          hallucination_rate: 0.6667,
          toxicity_rate: 0.3333,
        },
      ],
    ]);
  });

  it('hallucinations: the rate and the flagged samples, most certain first, with what was asked and answered', async () => {
    const res = await get(applicationsHallucinations, 'hallucinations', 'all');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ evaluated: 5, flagged: 2, rate: 0.4, evaluation: OFF });
    expect(res.body.by_application_model).toEqual([
      { application: 'coder', model: 'qwen-7b', evaluated: 1, flagged: 0, rate: 0, avg_score: 0.2 },
      { application: 'support-bot', model: 'llama-70b', evaluated: 1, flagged: 0, rate: 0, avg_score: 0 },
      {
        application: 'support-bot',
        model: 'llama-8b',
        evaluated: 3,
        flagged: 2,
        rate: 0.6667,
        avg_score: 0.5333,
      },
    ]);
    expect(res.body.samples).toEqual([
      {
        request_id: 's2',
        application: 'support-bot',
        provider: 'aws',
        model: 'llama-8b',
        sample_ts: '2026-11-01T10:45:00.000Z',
        score: 0.9,
        reason: 'h-reason s2',
        unsupported_claims: ['claim A'],
        prompt: 'prompt of s2',
        response: 'response of s2',
        truncated: false,
      },
      {
        request_id: 's3',
        application: 'support-bot',
        provider: 'aws',
        model: 'llama-8b',
        sample_ts: '2026-11-01T11:30:00.000Z',
        score: 0.6,
        reason: 'h-reason s3',
        unsupported_claims: ['claim B', 'claim C'],
        prompt: 'prompt of s3',
        response: 'response of s3',
        truncated: false,
      },
    ]);
    const limited = await get(applicationsHallucinations, 'hallucinations', 'all', { ...WINDOW, limit: '1' });
    expect(limited.body.samples.map((s: { request_id: string }) => s.request_id)).toEqual(['s2']);
    expect(limited.body.flagged).toBe(2);
  });

  it('toxicity: the rate, the categories and the flagged samples', async () => {
    const res = await get(applicationsToxicity, 'toxicity', 'aws');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'aws', evaluated: 4, flagged: 2, rate: 0.5 });
    expect(res.body.categories).toEqual([
      { category: 'harassment', samples: 2 },
      { category: 'profanity', samples: 1 },
    ]);
    expect(
      res.body.samples.map((s: Record<string, unknown>) => [s.request_id, s.score, s.categories, s.reason]),
    ).toEqual([
      ['s3', 0.8, ['harassment', 'profanity'], 't-reason s3'],
      ['s5', 0.7, ['harassment'], 't-reason s5'],
    ]);
    expect(res.body.by_application_model).toEqual([
      { application: 'support-bot', model: 'llama-70b', evaluated: 1, flagged: 1, rate: 1, avg_score: 0.7 },
      {
        application: 'support-bot',
        model: 'llama-8b',
        evaluated: 3,
        flagged: 1,
        rate: 0.3333,
        avg_score: 0.3,
      },
    ]);
  });

  it('summary: per application, volume, coverage (evaluated, waiting, given up), scores, latency and tokens', async () => {
    const res = await get(applicationsSummary, 'summary', 'all');
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({ received: 7, evaluated: 5, waiting: 1, unevaluated: 1 });
    expect(res.body.applications).toEqual([
      {
        application: 'coder',
        providers: ['runpod'],
        models: ['qwen-7b'],
        received: 2,
        probed: 1,
        selected_for_evaluation: 2,
        evaluated: 1,
        waiting: 0,
        unevaluated: 1,
        coherence: 0.8,
        relevance: 0.8,
        accuracy: 0.8,
        hallucination_rate: 0,
        toxicity_rate: 0,
        latency: { avg_ms: 50, p50_ms: 50, p95_ms: 50 },
        tokens: { prompt: 0, completion: 0 },
        first_seen: '2026-11-01T12:00:00.000Z',
        last_seen: '2026-11-02T12:00:00.000Z',
      },
      {
        application: 'support-bot',
        providers: ['aws'],
        models: ['llama-70b', 'llama-8b'],
        received: 5,
        probed: 0,
        selected_for_evaluation: 5,
        evaluated: 4,
        waiting: 1,
        unevaluated: 0,
        coherence: 0.775,
        relevance: 0.85,
        accuracy: 0.625,
        hallucination_rate: 0.5,
        toxicity_rate: 0.5,
        // quantilesExact: the value at position floor(level x n) of the sorted values.
        latency: { avg_ms: 400, p50_ms: 300, p95_ms: 1000 },
        tokens: { prompt: 800, completion: 600 },
        first_seen: '2026-11-01T10:15:00.000Z',
        last_seen: '2026-11-02T09:00:00.000Z',
      },
    ]);
    expect(res.body.judge_calibration).toBeNull();
  });

  it('models: volume, scores, latency, tokens, and cost per 1,000 requests split by token share', async () => {
    const res = await get(applicationsModels, 'models', 'all');
    expect(res.status).toBe(200);
    expect(res.body.models).toEqual([
      {
        provider: 'aws',
        model: 'llama-70b',
        applications: ['support-bot'],
        requests: 1,
        evaluated: 1,
        coherence: 1,
        relevance: 1,
        accuracy: 1,
        hallucination_rate: 0,
        toxicity_rate: 1,
        latency: { avg_ms: 1000, p50_ms: 1000, p95_ms: 1000 },
        tokens: { prompt: 300, completion: 300, per_request: 600 },
        // 12.75 USD on aws in the window; 600 of its 1,400 tokens.
        cost: {
          allocation: 'tokens',
          share: '0.428571',
          by_currency: [
            {
              currency: 'USD',
              provider_cost: '12.75',
              allocated_cost: '5.4642857143',
              per_1k_requests: '5464.285714',
            },
          ],
        },
      },
      {
        provider: 'aws',
        model: 'llama-8b',
        applications: ['support-bot'],
        requests: 4,
        evaluated: 3,
        coherence: 0.7,
        relevance: 0.8,
        accuracy: 0.5,
        hallucination_rate: 0.6667,
        toxicity_rate: 0.3333,
        latency: { avg_ms: 250, p50_ms: 300, p95_ms: 400 },
        tokens: { prompt: 500, completion: 300, per_request: 200 },
        cost: {
          allocation: 'tokens',
          share: '0.571429',
          by_currency: [
            {
              currency: 'USD',
              provider_cost: '12.75',
              allocated_cost: '7.2857142857',
              per_1k_requests: '1821.428571',
            },
          ],
        },
      },
      {
        provider: 'runpod',
        model: 'qwen-7b',
        applications: ['coder'],
        requests: 2,
        evaluated: 1,
        coherence: 0.8,
        relevance: 0.8,
        accuracy: 0.8,
        hallucination_rate: 0,
        toxicity_rate: 0,
        latency: { avg_ms: 50, p50_ms: 50, p95_ms: 50 },
        tokens: { prompt: 0, completion: 0, per_request: null },
        cost: null,
      },
    ]);
  });

  it('models: a filter narrows the rows but not the split of the provider cost', async () => {
    const res = await get(applicationsModels, 'models', 'aws', { ...WINDOW, model: 'llama-8b' });
    expect(res.body.models.map((m: Record<string, unknown>) => [m.model, m.requests, m.cost])).toEqual([
      [
        'llama-8b',
        4,
        {
          allocation: 'tokens',
          share: '0.571429',
          by_currency: [
            {
              currency: 'USD',
              provider_cost: '12.75',
              allocated_cost: '7.2857142857',
              per_1k_requests: '1821.428571',
            },
          ],
        },
      ],
    ]);
  });

  it('splits by request share when some samples on the provider report no tokens', async () => {
    await rt.writer.write('application_samples', [
      sample({
        customer_id: 'rd-b',
        request_id: 'b1',
        sample_ts: '2026-11-01T10:00:00Z',
        model: 'm1',
        prompt_tokens: 10,
        completion_tokens: 10,
      }),
      sample({ customer_id: 'rd-b', request_id: 'b2', sample_ts: '2026-11-01T10:00:00Z', model: 'm1' }),
      sample({
        customer_id: 'rd-b',
        request_id: 'b3',
        sample_ts: '2026-11-01T10:00:00Z',
        model: 'm2',
        prompt_tokens: 5,
        completion_tokens: 5,
      }),
    ]);
    await rt.writer.write('costs', [cost('aws', 'rd-b', '2026-11-01T10:00:00Z', '3', 'e')]);
    const res = await invoke(rt, applicationsModels, {
      method: 'GET',
      path: '/api/v2/applications/{customer_id}/{provider}/models',
      pathParameters: { customer_id: 'rd-b', provider: 'aws' },
      query: WINDOW,
      auth: customerAuth('rd-b'),
    });
    expect(res.body.models.map((m: Record<string, unknown>) => [m.model, m.cost])).toEqual([
      [
        'm1',
        {
          allocation: 'requests',
          share: '0.666667',
          by_currency: [
            { currency: 'USD', provider_cost: '3', allocated_cost: '2', per_1k_requests: '1000' },
          ],
        },
      ],
      [
        'm2',
        {
          allocation: 'requests',
          share: '0.333333',
          by_currency: [
            { currency: 'USD', provider_cost: '3', allocated_cost: '1', per_1k_requests: '1000' },
          ],
        },
      ],
    ]);
  });

  it('is 404 for a provider nobody runs apps on, 400 for a bad window, 403 for another customer', async () => {
    const unknown = await get(applicationsSummary, 'summary', 'moon');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect(unknown.body.error.message).toMatch(/^Unknown provider "moon"\. Applications run on: aws, /);
    // A provider of the vocabulary without a collector here is still a place apps run.
    expect((await get(applicationsSummary, 'summary', 'lambdalabs')).status).toBe(200);

    const reversed = await get(applicationsQuality, 'quality', 'all', {
      start: WINDOW.end,
      end: WINDOW.start,
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.message).toBe(
      'query parameter end: must be after start (2026-11-03T00:00:00.000Z)',
    );
    const tooLong = await get(applicationsQuality, 'quality', 'all', {
      start: '2024-01-01T00:00:00Z',
      end: '2026-11-01T00:00:00Z',
    });
    expect(tooLong.body.error.message).toBe('query parameter start: the period may cover at most 731 days');
    const badTime = await get(applicationsQuality, 'quality', 'all', { start: 'last tuesday' });
    expect(badTime.body.error.message).toBe(
      'query parameter start: must be an ISO 8601 date (2026-03-01) or date-time with a zone (2026-03-01T10:00:00Z), got "last tuesday"',
    );
    const badLimit = await get(applicationsHallucinations, 'hallucinations', 'all', {
      ...WINDOW,
      limit: '0',
    });
    expect(badLimit.body.error.message).toBe('query parameter limit: must be a whole number from 1 to 500');
    const unknownParam = await get(applicationsQuality, 'quality', 'all', { ...WINDOW, colour: 'red' });
    expect(unknownParam.status).toBe(400);

    const other = await get(applicationsSummary, 'summary', 'all', WINDOW, 'rd-other');
    expect(other.status).toBe(403);
  });
});
