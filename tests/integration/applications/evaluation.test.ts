import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applicationsIngest, applicationsTrigger } from '../../../lib/api/handlers/applications';
import { collectStatus } from '../../../lib/api/handlers/collect';
import { judgeInput } from '../../../lib/applications/evaluate';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { planScheduledJobs } from '../../../lib/collector/dispatch';
import { runCollection } from '../../../lib/collector/run';
import { PROMPT_VERSION } from '../../../lib/judge/prompt';
import type { Runtime } from '../../../lib/runtime';
import { SCHEDULES } from '../../../lib/schedules';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import {
  appRuntime,
  customerAuth,
  GROQ_KEY,
  groqCompletion,
  groqError,
  groqVerdict,
  invoke,
  judgedMessage,
  queued,
  section,
  verdict,
} from './support';

let groq: FakeServer;
beforeAll(async () => {
  groq = await startFakeServer();
});
afterAll(() => groq.close());
beforeEach(() => {
  groq.requests.length = 0;
  queued.length = 0;
});

const judgeEnv = (extra: Record<string, string> = {}) => ({
  GROQ_API_KEY: GROQ_KEY,
  GROQ_BASE_URL: groq.url,
  ...extra,
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function sample(i: number, extra: Record<string, unknown> = {}) {
  return {
    request_id: `req-${i}`,
    model: 'llama-3.1-8b',
    prompt: `question ${i}`,
    response: `answer ${i}`,
    latency_ms: 100 + i,
    prompt_tokens: 10 + i,
    completion_tokens: 20 + i,
    timestamp: minutesAgo(60 - i),
    ...extra,
  };
}

async function ingest(rt: Runtime, customer: string, body: Record<string, unknown>) {
  const res = await invoke(rt, applicationsIngest, {
    method: 'POST',
    path: '/api/v2/applications/{customer_id}/samples',
    pathParameters: { customer_id: customer },
    body,
    auth: customerAuth(customer),
  });
  expect(res.status).toBe(202);
  return res.body;
}

/** A manual evaluation run, awaited (async_mode false). */
async function evaluate(rt: Runtime, customer: string, provider: string | string[] = 'aws') {
  const res = await invoke(rt, applicationsTrigger, {
    method: 'POST',
    path: '/api/v2/applications/trigger-collection',
    body: { customer_id: customer, provider, async_mode: false },
    auth: customerAuth(customer),
  });
  expect(res.status).toBe(200);
  return res.body;
}

interface EvalRow {
  request_id: string;
  status: string;
  coherence: number | null;
  relevance: number | null;
  accuracy: number | null;
  hallucination: number | null;
  hallucination_score: number | null;
  unsupported_claims: string[];
  toxic: number | null;
  toxicity_score: number | null;
  toxicity_categories: string[];
  reasons: Record<string, string>;
  error: string;
  judge_model: string;
  prompt_version: string;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  attempts: number;
  provider: string;
  model: string;
}

async function evaluations(customer: string): Promise<EvalRow[]> {
  return rows<EvalRow>(
    await testStore(),
    `SELECT * FROM application_evaluations FINAL WHERE customer_id = {c:String} ORDER BY request_id`,
    { c: customer },
  );
}

/** Answers per judged prompt ("question N"), so each sample gets its own verdict. */
const byQuestion = (answers: Record<string, ReturnType<typeof groqVerdict>>) => (req: { body: string }) => {
  const prompt = section(judgedMessage(req.body), 'prompt');
  const reply = answers[prompt];
  if (!reply) throw new Error(`no answer for ${prompt}`);
  return reply;
};

describe('application evaluation runs', () => {
  it('judges each waiting sample once and stores exactly the scores the judge returned', async () => {
    const rt = await appRuntime(judgeEnv());
    await ingest(rt, 'ev-a', {
      application: 'support-bot',
      provider: 'aws',
      samples: [sample(1, { context: 'Refunds within 30 days.' }), sample(2, { reference: 'Paris' })],
    });
    const v1 = verdict({
      coherence: { score: 0.875, reason: 'Clear.' },
      hallucination: {
        hallucinated: true,
        score: 0.75,
        unsupported_claims: ['free shipping'],
        reason: 'Adds free shipping.',
      },
    });
    const v2 = verdict({
      accuracy: { score: 0.25, reason: 'Wrong city.' },
      toxicity: {
        toxic: true,
        score: 0.5,
        categories: ['harassment', 'profanity'],
        reason: 'Insults the user.',
      },
    });
    groq.handle(byQuestion({ 'question 1': groqVerdict(v1), 'question 2': groqVerdict(v2) }));

    const out = await evaluate(rt, 'ev-a');

    expect(out.runs).toHaveLength(1);
    expect(out.runs[0].status).toBe('succeeded');
    expect(out.runs[0].rows_collected).toEqual({ application: 2 });
    expect(out.runs[0].billable_requests).toEqual({ 'groq.chat.completions': 2 });
    const stored = await evaluations('ev-a');
    expect(stored.map((r) => r.request_id)).toEqual(['req-1', 'req-2']);
    expect(stored[0]).toMatchObject({
      status: 'evaluated',
      provider: 'aws',
      model: 'llama-3.1-8b',
      coherence: 0.875,
      relevance: 0.75,
      accuracy: 0.625,
      hallucination: 1,
      hallucination_score: 0.75,
      unsupported_claims: ['free shipping'],
      toxic: 0,
      toxicity_score: 0,
      toxicity_categories: [],
      reasons: {
        coherence: 'Clear.',
        relevance: 'Answers the question.',
        accuracy: 'Mostly matches the context.',
        hallucination: 'Adds free shipping.',
        toxicity: 'Polite and safe.',
      },
      error: '',
      judge_model: 'openai/gpt-oss-120b',
      prompt_version: PROMPT_VERSION,
      latency_ms: 101,
      prompt_tokens: 11,
      completion_tokens: 21,
      attempts: 1,
    });
    expect(stored[1]).toMatchObject({
      accuracy: 0.25,
      hallucination: 0,
      hallucination_score: 0.125,
      toxic: 1,
      toxicity_score: 0.5,
      toxicity_categories: ['harassment', 'profanity'],
    });
    // The judge saw the sample's context and reference.
    const judged = groq.requests.map((r) => judgedMessage(r.body));
    expect(judged.map((m) => section(m, 'context')).sort()).toEqual([
      '(none provided)',
      'Refunds within 30 days.',
    ]);
    expect(judged.map((m) => section(m, 'reference')).sort()).toEqual(['(none provided)', 'Paris']);

    // Nothing waits any more: a second run asks the judge nothing, and a re-sent request id is a duplicate.
    groq.requests.length = 0;
    const again = await ingest(rt, 'ev-a', {
      application: 'support-bot',
      provider: 'aws',
      samples: [sample(1)],
    });
    expect(again).toMatchObject({
      accepted: 0,
      duplicates: [{ application: 'support-bot', request_id: 'req-1' }],
    });
    const second = await evaluate(rt, 'ev-a');
    expect(second.runs[0].status).toBe('succeeded');
    expect(second.runs[0].rows_collected).toEqual({ application: 0 });
    expect(groq.requests).toHaveLength(0);
  });

  it('keeps a sample with an unusable answer unevaluated with the reason, and judges it on a later run', async () => {
    const rt = await appRuntime(judgeEnv());
    await ingest(rt, 'ev-b', { application: 'bot', provider: 'runpod', samples: [sample(1), sample(2)] });
    const bad = verdict() as unknown as Record<string, Record<string, unknown>>;
    (bad.relevance as Record<string, unknown>).score = 7;
    groq.handle(
      byQuestion({
        'question 1': groqCompletion('not json at all'),
        'question 2': groqCompletion(JSON.stringify(bad)),
      }),
    );

    const first = await evaluate(rt, 'ev-b', 'runpod');
    // Nothing useful came out of the judge: the data type failed, with the first reasons (issue #15).
    expect(first.runs[0].status).toBe('failed');
    expect(first.runs[0].errors.application).toMatch(
      /^2 of 2 verdicts failed validation: .*(not valid JSON|relevance\.score)/,
    );
    let stored = await evaluations('ev-b');
    expect(stored.map((r) => [r.request_id, r.status, r.attempts])).toEqual([
      ['req-1', 'unevaluated', 1],
      ['req-2', 'unevaluated', 1],
    ]);
    expect(stored[0]?.error).toBe('the judge\'s answer is not valid JSON: "not json at all"');
    expect(stored[1]?.error).toContain('relevance.score');
    for (const r of stored) {
      expect([
        r.coherence,
        r.relevance,
        r.accuracy,
        r.hallucination,
        r.hallucination_score,
        r.toxic,
        r.toxicity_score,
      ]).toEqual([null, null, null, null, null, null, null]);
    }

    groq.handle(() => groqVerdict(verdict()));
    await evaluate(rt, 'ev-b', 'runpod');
    stored = await evaluations('ev-b');
    expect(stored.map((r) => [r.request_id, r.status, r.attempts, r.coherence, r.error])).toEqual([
      ['req-1', 'evaluated', 2, 0.875, ''],
      ['req-2', 'evaluated', 2, 0.875, ''],
    ]);
  });

  it('pages through a large backlog: every sample judged exactly once, failed ones not re-read in the same run', async () => {
    const rt = await appRuntime(judgeEnv({ JUDGE_CONCURRENCY: '6' }));
    const ids = Array.from({ length: 130 }, (_, i) => i);
    for (let i = 0; i < ids.length; i += 50) {
      await ingest(rt, 'ev-p', {
        application: 'bot',
        provider: 'aws',
        samples: ids.slice(i, i + 50).map((n) => sample(n, { timestamp: minutesAgo(200 - n) })),
      });
    }
    // Every 7th answer is unusable.
    groq.handle((req) => {
      const n = Number(section(judgedMessage(req.body), 'prompt').replace('question ', ''));
      return n % 7 === 0 ? groqCompletion('oops') : groqVerdict(verdict());
    });

    const out = await evaluate(rt, 'ev-p');

    expect(out.runs[0].rows_collected).toEqual({ application: 130 });
    const asked = groq.requests.map((r) => section(judgedMessage(r.body), 'prompt'));
    expect(asked).toHaveLength(130);
    expect(new Set(asked).size).toBe(130);
    const stored = await evaluations('ev-p');
    expect(stored.filter((r) => r.status === 'unevaluated')).toHaveLength(
      ids.filter((n) => n % 7 === 0).length,
    );
    expect(stored.filter((r) => r.status === 'evaluated')).toHaveLength(
      ids.filter((n) => n % 7 !== 0).length,
    );
  });

  it('stops sending a sample after JUDGE_MAX_ATTEMPTS unusable answers, leaving it unevaluated', async () => {
    const rt = await appRuntime(judgeEnv({ JUDGE_MAX_ATTEMPTS: '2' }));
    await ingest(rt, 'ev-c', { application: 'bot', provider: 'aws', samples: [sample(1)] });
    groq.handle(() => groqCompletion('{"truncated":'));
    await evaluate(rt, 'ev-c');
    await evaluate(rt, 'ev-c');
    expect(groq.requests).toHaveLength(2);
    await evaluate(rt, 'ev-c');
    expect(groq.requests).toHaveLength(2);
    const [row] = await evaluations('ev-c');
    expect(row).toMatchObject({ status: 'unevaluated', attempts: 2, coherence: null });
  });

  it('records the run failed and writes nothing when the judge is unavailable; the samples are judged later', async () => {
    const rt = await appRuntime(judgeEnv());
    await ingest(rt, 'ev-d', {
      application: 'bot',
      provider: 'gcp',
      samples: [sample(1), sample(2), sample(3)],
    });
    // A 500 whose message echoes the credentials: they must not reach the run record.
    groq.handle((req) => ({
      status: 500,
      body: { error: { message: `upstream failed for ${req.headers.authorization}` } },
    }));

    const out = await evaluate(rt, 'ev-d', 'gcp');

    const run = out.runs[0];
    // No verdict at all: failed, not partial (issue #15); the samples still wait.
    expect(run.status).toBe('failed');
    expect(run.rows_collected).toEqual({ application: 0 });
    expect(run.errors.application).toMatch(
      /^the judge \(Groq openai\/gpt-oss-120b\) is unavailable: HTTP 500: upstream failed for Bearer \*\*\*; 3 sample\(s\) wait for the next run$/,
    );
    expect(JSON.stringify(await getRun(rt.store, run.task_id))).not.toContain(GROQ_KEY);
    expect(await evaluations('ev-d')).toEqual([]);

    groq.handle(() => groqVerdict(verdict()));
    const later = await evaluate(rt, 'ev-d', 'gcp');
    expect(later.runs[0].status).toBe('succeeded');
    expect((await evaluations('ev-d')).map((r) => r.status)).toEqual(['evaluated', 'evaluated', 'evaluated']);
  });

  it('rides out a 429 with a retry-after inside a run', async () => {
    const rt = await appRuntime(judgeEnv());
    await ingest(rt, 'ev-e', { application: 'bot', provider: 'aws', samples: [sample(1)] });
    let calls = 0;
    groq.handle(() => {
      calls++;
      return calls === 1
        ? groqError(429, 'groq/rate-limit-429.json', { 'retry-after-ms': '20' })
        : groqVerdict(verdict());
    });
    const out = await evaluate(rt, 'ev-e');
    expect(out.runs[0].status).toBe('succeeded');
    expect(groq.requests).toHaveLength(2);
    expect((await evaluations('ev-e')).map((r) => r.status)).toEqual(['evaluated']);
  });

  it('stops at the token budget, records the run partial, and leaves the rest waiting', async () => {
    const probe = await appRuntime(judgeEnv());
    const estimate = probe.applications.judge?.estimateTokens(
      judgeInput({ prompt: 'question 1', response: 'answer 1', context: '', reference: '' }),
    ) as number;
    // Each call costs 10,000 tokens: the first fits, the second would not.
    const rt = await appRuntime(
      judgeEnv({ JUDGE_TOKEN_BUDGET: String(10_000 + estimate - 1), JUDGE_CONCURRENCY: '1' }),
    );
    await ingest(rt, 'ev-f', {
      application: 'bot',
      provider: 'aws',
      samples: [sample(1), sample(2), sample(3)],
    });
    groq.handle(() => groqVerdict(verdict(), { prompt_tokens: 9_000, completion_tokens: 1_000 }));

    const out = await evaluate(rt, 'ev-f');

    expect(groq.requests).toHaveLength(1);
    expect(out.runs[0].status).toBe('partial');
    expect(out.runs[0].errors.application).toBe(
      `the run's judge token budget (${10_000 + estimate - 1}) is spent; 2 sample(s) wait for the next run`,
    );
    expect((await evaluations('ev-f')).map((r) => r.request_id)).toEqual(['req-1']);
  });

  it('evaluates the share of samples the sampling rate selects, by a stable hash of the request id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apps-'));
    const file = join(dir, 'applications.yaml');
    writeFileSync(
      file,
      [
        'applications:',
        '  - customer_id: ev-g',
        '    application: quiet',
        '    provider: aws',
        '    sampling_rate: 0',
        '',
      ].join('\n'),
    );
    const rt = await appRuntime(judgeEnv({ JUDGE_SAMPLING_RATE: '0.5', OPTIINFRA_APPLICATIONS_FILE: file }));
    const ids = Array.from({ length: 40 }, (_, i) => i);
    const ingested = await ingest(rt, 'ev-g', {
      application: 'busy',
      provider: 'aws',
      samples: ids.map((i) => sample(i)),
    });
    await ingest(rt, 'ev-g', {
      application: 'quiet',
      provider: 'aws',
      samples: ids.slice(0, 5).map((i) => sample(i)),
    });
    // The documented rule, computed independently: first 4 bytes of SHA-256(customer \0 app \0 id) mod 1e6 < rate x 1e6.
    const bucket = (id: string) =>
      createHash('sha256').update(`ev-g\u0000busy\u0000${id}`).digest().readUInt32BE(0) % 1_000_000;
    const expected = ids
      .map((i) => `req-${i}`)
      .filter((id) => bucket(id) < 500_000)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(40);
    expect(ingested.selected_for_evaluation).toBe(expected.length);
    groq.handle(() => groqVerdict(verdict()));

    await evaluate(rt, 'ev-g');

    const stored = await rows<{ application: string; request_id: string }>(
      rt.store,
      `SELECT application, request_id FROM application_evaluations FINAL WHERE customer_id = 'ev-g' ORDER BY request_id`,
    );
    expect(stored.filter((r) => r.application === 'quiet')).toEqual([]);
    expect(stored.map((r) => r.request_id)).toEqual(expected);
  });

  it('with no Groq key, accepts samples, keeps them waiting, and says plainly that evaluation is off', async () => {
    const rt = await appRuntime({ GROQ_BASE_URL: groq.url });
    const accepted = await ingest(rt, 'ev-h', {
      application: 'bot',
      provider: 'local',
      samples: [sample(1)],
    });
    expect(accepted.accepted).toBe(1);
    expect(accepted.evaluation).toMatchObject({ enabled: false });
    expect(accepted.evaluation.reason).toMatch(/^GROQ_API_KEY is not set/);

    const out = await evaluate(rt, 'ev-h', 'local');

    expect(out.runs[0].status).toBe('partial');
    expect(out.runs[0].errors.application).toBe(
      'evaluation is off (GROQ_API_KEY is not set); 1 sample(s) wait',
    );
    expect(groq.requests).toHaveLength(0);
    expect(await evaluations('ev-h')).toEqual([]);
  });

  it('queues evaluation jobs in async mode and the worker runs them like any collection job', async () => {
    const rt = await appRuntime(judgeEnv());
    await ingest(rt, 'ev-i', { application: 'bot', provider: 'azure', samples: [sample(1)] });
    const res = await invoke(rt, applicationsTrigger, {
      method: 'POST',
      path: '/api/v2/applications/trigger-collection',
      body: { customer_id: 'ev-i' },
      auth: customerAuth('ev-i'),
    });
    expect(res.status).toBe(202);
    expect(res.body.tasks).toEqual([
      {
        task_id: queued[0]?.taskId,
        provider: 'azure',
        data_types: ['application'],
        status_url: `/api/v1/collect/status/${queued[0]?.taskId}`,
      },
    ]);
    expect((await getRun(rt.store, queued[0]?.taskId as string))?.status).toBe('queued');

    groq.handle(() => groqVerdict(verdict()));
    await runCollection(queued[0] as (typeof queued)[0], rt.runDeps);

    const status = await invoke(rt, collectStatus, {
      method: 'GET',
      path: '/api/v1/collect/status/{task_id}',
      pathParameters: { task_id: queued[0]?.taskId as string },
      auth: customerAuth('ev-i'),
    });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      status: 'succeeded',
      provider: 'azure',
      data_types: ['application'],
      rows_collected: { application: 1 },
    });
  });

  it('answers 200 with nothing to do when no samples wait and no probes are configured', async () => {
    const rt = await appRuntime(judgeEnv());
    const res = await invoke(rt, applicationsTrigger, {
      method: 'POST',
      path: '/api/v2/applications/trigger-collection',
      body: { customer_id: 'ev-nothing', provider: 'all' },
      auth: customerAuth('ev-nothing'),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'nothing_to_do', tasks: [] });
  });

  it('rejects an unknown provider with 404 and another customer with 403', async () => {
    const rt = await appRuntime(judgeEnv());
    const unknown = await invoke(rt, applicationsTrigger, {
      method: 'POST',
      path: '/api/v2/applications/trigger-collection',
      body: { customer_id: 'ev-j', provider: 'moon' },
      auth: customerAuth('ev-j'),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(
      /^Unknown provider "moon"\. Applications run on: aws, azure, coreweave/,
    );
    const forbidden = await invoke(rt, applicationsTrigger, {
      method: 'POST',
      path: '/api/v2/applications/trigger-collection',
      body: { customer_id: 'ev-j', provider: 'aws' },
      auth: customerAuth('someone-else'),
    });
    expect(forbidden.status).toBe(403);
  });

  it('plans scheduled jobs from the backlog: one per customer and provider with samples waiting', async () => {
    const rt = await appRuntime(judgeEnv());
    await ingest(rt, 'ev-k', { application: 'a', provider: 'aws', samples: [sample(1)] });
    await ingest(rt, 'ev-k', { application: 'b', provider: 'coreweave', samples: [sample(2)] });
    await ingest(rt, 'ev-l', { application: 'a', provider: 'aws', samples: [sample(3)] });
    groq.handle(() => groqVerdict(verdict()));
    await evaluate(rt, 'ev-l');
    const entry = SCHEDULES.find((s) => s.id === 'application');
    if (!entry) throw new Error('no application schedule');

    const jobs = await planScheduledJobs(entry, { connections: rt.connections, registry: rt.registry });

    const mine = jobs.filter((j) => j.customerId.startsWith('ev-k') || j.customerId.startsWith('ev-l'));
    expect(mine.map((j) => [j.customerId, j.provider, j.dataTypes, j.trigger]).sort()).toEqual([
      ['ev-k', 'aws', ['application'], 'scheduled'],
      ['ev-k', 'coreweave', ['application'], 'scheduled'],
    ]);
    // coreweave has no collector module here, yet its app's job runs: no connection needed.
    const coreweave = mine.find((j) => j.provider === 'coreweave');
    const result = await runCollection(coreweave as (typeof mine)[0], rt.runDeps);
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ application: 1 });
  });
});
