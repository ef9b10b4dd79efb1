import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { applicationsTrigger } from '../../../lib/api/handlers/applications';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { planScheduledJobs } from '../../../lib/collector/dispatch';
import { runCollection } from '../../../lib/collector/run';
import type { Runtime } from '../../../lib/runtime';
import { SCHEDULES } from '../../../lib/schedules';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows } from '../../helpers/store';
import {
  appRuntime,
  customerAuth,
  fixture,
  GROQ_KEY,
  groqVerdict,
  invoke,
  judgedMessage,
  section,
  verdict,
} from './support';

const APP_KEY = 'app-secret-key-7f3a9c2e1b';

let app: FakeServer;
let groq: FakeServer;
beforeAll(async () => {
  app = await startFakeServer();
  groq = await startFakeServer(() => groqVerdict(verdict()));
});
afterAll(async () => {
  await app.close();
  await groq.close();
});
beforeEach(() => {
  app.requests.length = 0;
  groq.requests.length = 0;
});

/** The app's OpenAI-compatible answer (fixture) with this content and usage. */
function appAnswer(content: string, prompt_tokens: number, completion_tokens: number) {
  const body = fixture<{ choices: { message: { content: string } }[]; usage: Record<string, number> }>(
    'openai-compatible/chat-completion.json',
  );
  (body.choices[0] as { message: { content: string } }).message.content = content;
  body.usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
  return { status: 200, body, delayMs: 60 };
}

function applicationsFile(customer: string, provider = 'aws') {
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const file = join(dir, 'applications.yaml');
  writeFileSync(
    file,
    stringify({
      applications: [
        {
          customer_id: customer,
          application: 'support-bot',
          provider,
          probe: {
            base_url: `${app.url}/v1/`,
            model: 'meta-llama/Llama-3.1-8B-Instruct',
            api_key: 'env:SUPPORT_BOT_KEY',
            max_tokens: 128,
            prompts: [
              {
                id: 'refund',
                prompt: 'How long do I have to return an item?',
                context: 'Returns within 30 days.',
                reference: '30 days',
              },
              { id: 'hours', prompt: 'When is support open?', system: 'You are Acme support.' },
            ],
          },
        },
      ],
    }),
  );
  return file;
}

async function runtimeFor(customer: string, extra: Record<string, string> = {}): Promise<Runtime> {
  return appRuntime({
    GROQ_API_KEY: GROQ_KEY,
    GROQ_BASE_URL: groq.url,
    OPTIINFRA_APPLICATIONS_FILE: applicationsFile(customer),
    SUPPORT_BOT_KEY: APP_KEY,
    ...extra,
  });
}

async function trigger(rt: Runtime, customer: string) {
  const res = await invoke(rt, applicationsTrigger, {
    method: 'POST',
    path: '/api/v2/applications/trigger-collection',
    body: { customer_id: customer, async_mode: false },
    auth: customerAuth(customer),
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function probeSamples(rt: Runtime, customer: string) {
  return rows<Record<string, unknown>>(
    rt.store,
    `SELECT application, provider, model, request_id, source, prompt, response, context, reference, latency_ms,
        prompt_tokens, completion_tokens, task_id
      FROM application_samples FINAL WHERE customer_id = {c:String} ORDER BY request_id`,
    { c: customer },
  );
}

describe('probe mode', () => {
  it('sends each canary prompt to the app, samples the answers with latency and tokens, and judges them in the same run', async () => {
    const rt = await runtimeFor('pr-a');
    app.handle((req) => {
      const body = JSON.parse(req.body);
      const user = body.messages.at(-1).content as string;
      return user.startsWith('How long')
        ? appAnswer('Within 30 days.', 42, 5)
        : appAnswer('9 to 5, Monday to Friday.', 30, 9);
    });

    const out = await trigger(rt, 'pr-a');

    const run = out.runs[0];
    expect(run).toMatchObject({ status: 'succeeded', provider: 'aws', rows_collected: { application: 2 } });
    expect(run.billable_requests).toEqual({ 'probe.chat.completions': 2, 'groq.chat.completions': 2 });
    expect(app.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['POST', '/v1/chat/completions', `Bearer ${APP_KEY}`],
      ['POST', '/v1/chat/completions', `Bearer ${APP_KEY}`],
    ]);
    expect(JSON.parse(app.requests[0]?.body ?? '{}')).toEqual({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages: [
        { role: 'system', content: 'Use this context to answer:\nReturns within 30 days.' },
        { role: 'user', content: 'How long do I have to return an item?' },
      ],
      temperature: 0,
      max_tokens: 128,
    });
    expect(JSON.parse(app.requests[1]?.body ?? '{}').messages).toEqual([
      { role: 'system', content: 'You are Acme support.' },
      { role: 'user', content: 'When is support open?' },
    ]);

    const samples = await probeSamples(rt, 'pr-a');
    expect(samples.map(({ latency_ms, ...rest }) => rest)).toEqual([
      {
        application: 'support-bot',
        provider: 'aws',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        request_id: `probe:${run.task_id}:hours`,
        source: 'probe',
        prompt: 'When is support open?',
        response: '9 to 5, Monday to Friday.',
        context: '',
        reference: '',
        prompt_tokens: 30,
        completion_tokens: 9,
        task_id: run.task_id,
      },
      {
        application: 'support-bot',
        provider: 'aws',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        request_id: `probe:${run.task_id}:refund`,
        source: 'probe',
        prompt: 'How long do I have to return an item?',
        response: 'Within 30 days.',
        context: 'Returns within 30 days.',
        reference: '30 days',
        prompt_tokens: 42,
        completion_tokens: 5,
        task_id: run.task_id,
      },
    ]);
    // The fake answered after 60 ms: the recorded latency covers the whole call.
    for (const s of samples) expect(Number(s.latency_ms)).toBeGreaterThanOrEqual(55);

    const judged = groq.requests.map((r) => judgedMessage(r.body));
    expect(judged.map((m) => section(m, 'response')).sort()).toEqual([
      '9 to 5, Monday to Friday.',
      'Within 30 days.',
    ]);
    expect(judged.map((m) => section(m, 'reference')).sort()).toEqual(['(none provided)', '30 days']);
  });

  it('records the run partial when a canary prompt fails, keeps the others, and never shows the app key', async () => {
    const rt = await runtimeFor('pr-b');
    app.handle((req) => {
      const user = JSON.parse(req.body).messages.at(-1).content as string;
      if (user.startsWith('How long')) {
        return { status: 401, body: { error: { message: `invalid key ${req.headers.authorization}` } } };
      }
      return appAnswer('9 to 5.', 30, 4);
    });

    const out = await trigger(rt, 'pr-b');

    const run = out.runs[0];
    expect(run.status).toBe('partial');
    expect(run.rows_collected).toEqual({ application: 1 });
    expect(run.errors.application).toBe(
      `probe support-bot: 1 of 2 canary prompts failed (refund: 127.0.0.1:${app.port}/v1/chat/completions: HTTP 401 invalid key Bearer ***)`,
    );
    expect(JSON.stringify(await getRun(rt.store, run.task_id))).not.toContain(APP_KEY);
    expect((await probeSamples(rt, 'pr-b')).map((s) => s.request_id)).toEqual([`probe:${run.task_id}:hours`]);
  });

  it('plans a scheduled job for every probed application, even with nothing waiting', async () => {
    const rt = await runtimeFor('pr-c');
    const entry = SCHEDULES.find((s) => s.id === 'application');
    if (!entry) throw new Error('no application schedule');
    const jobs = await planScheduledJobs(entry, { connections: rt.connections, registry: rt.registry });
    expect(jobs.filter((j) => j.customerId === 'pr-c').map((j) => [j.provider, j.dataTypes])).toEqual([
      ['aws', ['application']],
    ]);
  });

  it('samples with probes even when evaluation is off, and a retried job replaces its probe samples instead of adding more', async () => {
    const rt = await appRuntime({
      GROQ_BASE_URL: groq.url,
      OPTIINFRA_APPLICATIONS_FILE: applicationsFile('pr-d', 'onprem'),
      SUPPORT_BOT_KEY: APP_KEY,
    });
    app.handle(() => appAnswer('ok', 3, 1));
    const [job] = await rt.applications.source.planJobs({
      trigger: 'manual',
      now: new Date(),
      customerId: 'pr-d',
    });
    if (!job) throw new Error('no job planned');

    const first = await runCollection(job, rt.runDeps);
    const again = await runCollection(job, rt.runDeps);

    expect(first.status).toBe('partial');
    expect(first.errors.application).toBe('evaluation is off (GROQ_API_KEY is not set); 2 sample(s) wait');
    expect(again.status).toBe('partial');
    expect(app.requests).toHaveLength(4);
    expect(groq.requests).toHaveLength(0);
    expect((await probeSamples(rt, 'pr-d')).map((s) => [s.provider, s.request_id])).toEqual([
      ['onprem', `probe:${job.taskId}:hours`],
      ['onprem', `probe:${job.taskId}:refund`],
    ]);
  });
});
