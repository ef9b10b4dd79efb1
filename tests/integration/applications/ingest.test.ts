import { beforeAll, describe, expect, it } from 'vitest';
import { applicationsIngest } from '../../../lib/api/handlers/applications';
import { MAX_INGEST_BODY_BYTES } from '../../../lib/applications/ingest';
import type { Runtime } from '../../../lib/runtime';
import { rows } from '../../helpers/store';
import { appRuntime, customerAuth, fixture, invoke } from './support';

let rt: Runtime;
beforeAll(async () => {
  rt = await appRuntime({});
});

const PATH = '/api/v2/applications/{customer_id}/samples';

function post(customer: string, body: unknown, auth = customerAuth(customer)) {
  return invoke(rt, applicationsIngest, {
    method: 'POST',
    path: PATH,
    pathParameters: { customer_id: customer },
    body,
    auth,
  });
}

const TS = '2026-11-23T10:00:00.000Z';
const now = () => new Date();
const hoursAgo = (h: number) => new Date(now().getTime() - h * 3_600_000);

function item(id: string, extra: Record<string, unknown> = {}) {
  return {
    request_id: id,
    model: 'llama-3.1-8b',
    prompt: 'Where is my order?',
    response: 'It ships tomorrow.',
    ...extra,
  };
}

async function stored(customer: string) {
  return rows<Record<string, unknown>>(
    rt.store,
    `SELECT application, provider, model, request_id, source, sample_ts, prompt, response, context, reference,
        latency_ms, prompt_tokens, completion_tokens
      FROM application_samples FINAL WHERE customer_id = {c:String} ORDER BY application, request_id`,
    { c: customer },
  );
}

describe('POST /api/v2/applications/{customer_id}/samples', () => {
  it('stores a batch in our field set and says how much of it will be evaluated', async () => {
    const ts = hoursAgo(2).toISOString();
    const res = await post('in-a', {
      application: 'support-bot',
      provider: 'aws',
      samples: [
        item('r1', {
          context: ['Doc A: orders ship in 24h.', 'Doc B: tracking by email.'],
          reference: 'Tomorrow.',
          latency_ms: 412.5,
          prompt_tokens: 31,
          completion_tokens: 7,
          timestamp: ts,
        }),
        item('r2', { application: 'faq-bot', provider: 'runpod', model: 'qwen2.5-7b' }),
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      customer_id: 'in-a',
      received: 2,
      accepted: 2,
      duplicates: [],
      selected_for_evaluation: 2,
      evaluation: { enabled: false },
    });
    const [faq, support] = await stored('in-a');
    expect(support).toEqual({
      application: 'support-bot',
      provider: 'aws',
      model: 'llama-3.1-8b',
      request_id: 'r1',
      source: 'ingest',
      sample_ts: ts.replace('T', ' ').replace('Z', ''),
      prompt: 'Where is my order?',
      response: 'It ships tomorrow.',
      context: 'Doc A: orders ship in 24h.\n\n---\n\nDoc B: tracking by email.',
      reference: 'Tomorrow.',
      latency_ms: 412.5,
      prompt_tokens: 31,
      completion_tokens: 7,
    });
    expect(faq).toMatchObject({
      application: 'faq-bot',
      provider: 'runpod',
      model: 'qwen2.5-7b',
      latency_ms: null,
      prompt_tokens: null,
    });
  });

  it('reports a repeated request id as a duplicate and stores it once, within a batch and across batches', async () => {
    const first = await post('in-b', {
      application: 'bot',
      provider: 'aws',
      samples: [item('x1'), item('x1', { response: 'other' }), item('x2')],
    });
    expect(first.body).toMatchObject({
      received: 3,
      accepted: 2,
      duplicates: [{ application: 'bot', request_id: 'x1' }],
    });
    const second = await post('in-b', {
      application: 'bot',
      provider: 'aws',
      samples: [item('x2', { response: 'changed' }), item('x3')],
    });
    expect(second.body).toMatchObject({
      accepted: 1,
      duplicates: [{ application: 'bot', request_id: 'x2' }],
    });
    // The same id in another application is another interaction.
    const other = await post('in-b', { application: 'other-bot', provider: 'aws', samples: [item('x1')] });
    expect(other.body).toMatchObject({ accepted: 1, duplicates: [] });
    const all = await stored('in-b');
    expect(all.map((r) => [r.application, r.request_id, r.response])).toEqual([
      ['bot', 'x1', 'It ships tomorrow.'],
      ['bot', 'x2', 'It ships tomorrow.'],
      ['bot', 'x3', 'It ships tomorrow.'],
      ['other-bot', 'x1', 'It ships tomorrow.'],
    ]);
  });

  it('names every bad field, and stores nothing of a batch with one bad item', async () => {
    const res = await post('in-c', {
      provider: 'aws',
      application: 'bot',
      samples: [
        item('ok'),
        { request_id: 'r2', response: 'x' },
        item('r3', { colour: 'blue' }),
        item('r4', { prompt_tokens: 1.5, latency_ms: -3 }),
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toBe(
      'body samples[1].model: required; body samples[1].prompt: required; body samples[2]: unknown field(s) colour; ' +
        'body samples[3].latency_ms: Too small: expected number to be >=0; body samples[3].prompt_tokens: must be a whole number',
    );
    expect(await stored('in-c')).toEqual([]);
  });

  it('needs an application and a provider, in the sample or the batch, and a provider apps can run on', async () => {
    const missing = await post('in-d', { samples: [item('r1')] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe(
      'body samples[0].application: required (in the sample or the batch); body samples[0].provider: required (in the sample or the batch)',
    );
    const unknown = await post('in-d', { application: 'bot', samples: [item('r1', { provider: 'moon' })] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(
      /^body samples\[0\]\.provider: unknown provider "moon" \(applications run on: aws, azure, coreweave, /,
    );
  });

  it('refuses timestamps that are not times, far in the future, or over a year old', async () => {
    const res = await post('in-e', {
      application: 'bot',
      provider: 'aws',
      samples: [
        item('a', { timestamp: 'yesterday' }),
        item('b', { timestamp: new Date(now().getTime() + 3_600_000).toISOString() }),
        item('c', { timestamp: 1_000 }),
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'body samples[0].timestamp: must be an ISO 8601 time or epoch milliseconds; ' +
        'body samples[1].timestamp: must be within the last year and not in the future; ' +
        'body samples[2].timestamp: must be within the last year and not in the future',
    );
  });

  it('limits the batch size, the field sizes and the body size', async () => {
    const tooMany = await post('in-f', {
      application: 'bot',
      provider: 'aws',
      samples: Array.from({ length: 501 }, (_, i) => item(`r${i}`)),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toBe('body samples: at most 500 interactions per request');

    const long = await post('in-f', {
      application: 'bot',
      provider: 'aws',
      samples: [item('r1', { prompt: 'x'.repeat(65_537) })],
    });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe(
      'body samples[0].prompt: Too big: expected string to have <=65536 characters',
    );

    const huge = await post('in-f', {
      application: 'bot',
      provider: 'aws',
      samples: Array.from({ length: 70 }, (_, i) => item(`r${i}`, { response: 'y'.repeat(60_000) })),
    });
    expect(JSON.stringify({ samples: Array(70).fill('y'.repeat(60_000)) }).length).toBeGreaterThan(
      MAX_INGEST_BODY_BYTES,
    );
    expect(huge.status).toBe(413);
    expect(huge.body.error).toEqual({
      code: 'payload_too_large',
      message: `request body is larger than ${MAX_INGEST_BODY_BYTES} bytes`,
    });

    const empty = await post('in-f', { application: 'bot', provider: 'aws', samples: [] });
    expect(empty.body.error.message).toBe('body samples: must contain at least one interaction');
    const notJson = await post('in-f', '{"samples": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toBe('request body is not valid JSON');
    const extra = await post('in-f', { samples: [item('r1')], app: 'typo' });
    expect(extra.body.error.message).toBe('body: Unrecognized key: "app"');
    expect(await stored('in-f')).toEqual([]);
  });

  it('accepts an OpenTelemetry span in OTLP/JSON form (GenAI attributes, resource service.name and cloud.provider)', async () => {
    const span = fixture<Record<string, unknown>>('otel/span-otlp.json');
    const start = BigInt(hoursAgo(1).getTime()) * 1_000_000n;
    span.start_time_unix_nano = String(start);
    span.end_time_unix_nano = String(start + 1_250_000_000n);

    const res = await post('in-g', { samples: [span] });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: [] });
    expect(await stored('in-g')).toEqual([
      {
        application: 'support-bot',
        provider: 'aws',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        request_id: 'chatcmpl-7d1e2f3a4b5c',
        source: 'ingest',
        sample_ts: new Date(Number(start / 1_000_000n)).toISOString().replace('T', ' ').replace('Z', ''),
        prompt: 'system: You are the Acme support assistant.\n\nuser: How long do I have to return an item?',
        response: 'You can return unused items within 30 days.',
        context: 'Returns: unused items can be returned within 30 days of delivery.',
        reference: '',
        latency_ms: 1250,
        prompt_tokens: 57,
        completion_tokens: 23,
      },
    ]);
  });

  it('accepts flat OpenTelemetry attribute names, including the older indexed prompt/completion ones', async () => {
    const flat = fixture<Record<string, unknown>>('otel/span-flat.json');
    const start = hoursAgo(3);
    flat.start_time = start.toISOString();
    flat.end_time = new Date(start.getTime() + 480).toISOString();

    const res = await post('in-h', { samples: [flat] });

    expect(res.status).toBe(202);
    expect(await stored('in-h')).toEqual([
      {
        application: 'docs-assistant',
        provider: 'runpod',
        model: 'Qwen/Qwen2.5-7B-Instruct',
        request_id: 'cmpl-flat-0001',
        source: 'ingest',
        sample_ts: start.toISOString().replace('T', ' ').replace('Z', ''),
        prompt: 'What does HTTP 429 mean?',
        response: 'Too Many Requests: slow down and retry later.',
        context: '',
        reference: '',
        latency_ms: 480,
        prompt_tokens: 12,
        completion_tokens: 11,
      },
    ]);
  });

  it('names missing OpenTelemetry fields by their OpenTelemetry names', async () => {
    const res = await post('in-i', {
      provider: 'aws',
      samples: [{ attributes: { 'gen_ai.request.model': 'm', 'service.name': 'bot' } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'body samples[0].gen_ai.response.id (or span_id): required; body samples[0].gen_ai.input.messages (or gen_ai.prompt): required; ' +
        'body samples[0].gen_ai.output.messages (or gen_ai.completion): required',
    );
  });

  it('takes a key of that customer: 401 without a key, 403 with another customer’s, 400 for a bad customer id', async () => {
    const body = { application: 'bot', provider: 'aws', samples: [item('r1', { timestamp: TS })] };
    const none = await invoke(rt, applicationsIngest, {
      method: 'POST',
      path: PATH,
      pathParameters: { customer_id: 'in-j' },
      body,
    });
    expect(none.status).toBe(401);
    const other = await post('in-j', body, customerAuth('not-in-j'));
    expect(other.status).toBe(403);
    const bad = await post('in j!', body);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^path parameter customer_id: must match/);
    expect(await stored('in-j')).toEqual([]);
  });
});
