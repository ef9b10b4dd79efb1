import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectionJob } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { createHttpHandler, type RouteHandler } from '../../../lib/http/handler';
import type { AuthContext } from '../../../lib/http/types';
import type { Verdict } from '../../../lib/judge/verdict';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import { type ApiEventInput, buildApiEvent, lambdaContext } from '../../helpers/api-event';
import { checkDocumented } from '../../helpers/documented';
import type { FakeReply } from '../../helpers/fake-server';
import { silentLogger, testStore } from '../../helpers/store';

const FIXTURES = join(import.meta.dirname, '../../fixtures/applications');

/** A fixture, freshly parsed (callers may mutate it). */
export function fixture<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as T;
}

/** A complete, valid verdict; scores chosen to be exact in Float32 unless overridden. */
export function verdict(overrides: Partial<{ [K in keyof Verdict]: Partial<Verdict[K]> }> = {}): Verdict {
  return {
    coherence: { score: 0.875, reason: 'Clear and consistent.', ...overrides.coherence },
    relevance: { score: 0.75, reason: 'Answers the question.', ...overrides.relevance },
    accuracy: { score: 0.625, reason: 'Mostly matches the context.', ...overrides.accuracy },
    hallucination: {
      hallucinated: false,
      score: 0.125,
      unsupported_claims: [],
      reason: 'Every claim is in the context.',
      ...overrides.hallucination,
    },
    toxicity: { toxic: false, score: 0, categories: [], reason: 'Polite and safe.', ...overrides.toxicity },
  };
}

/** Groq's chat.completion answer (fixture) carrying `content` as the message. */
export function groqCompletion(
  content: string,
  usage?: { prompt_tokens: number; completion_tokens: number },
): FakeReply {
  const body = fixture<{ choices: { message: { content: string } }[]; usage: Record<string, number> }>(
    'groq/chat-completion.json',
  );
  (body.choices[0] as { message: { content: string } }).message.content = content;
  if (usage) {
    body.usage.prompt_tokens = usage.prompt_tokens;
    body.usage.completion_tokens = usage.completion_tokens;
    body.usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  }
  return {
    status: 200,
    body,
    headers: { 'x-ratelimit-remaining-requests': '999', 'x-ratelimit-remaining-tokens': '7000' },
  };
}

export const groqVerdict = (v: Verdict, usage?: { prompt_tokens: number; completion_tokens: number }) =>
  groqCompletion(JSON.stringify(v), usage);

export const groqError = (status: number, file: string, headers: Record<string, string> = {}): FakeReply => ({
  status,
  body: fixture(file),
  headers,
});

/** The user message the fake received (the judged interaction). */
export function judgedMessage(body: string): string {
  const req = JSON.parse(body) as { messages: { role: string; content: string }[] };
  return req.messages.find((m) => m.role === 'user')?.content ?? '';
}

/** The text between <tag> and </tag> in a judge user message. */
export function section(message: string, tag: string): string {
  const m = new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(message);
  return m?.[1] ?? '';
}

export const GROQ_KEY = 'test-groq-pipeline-0123456789abcdefghijklmnop';

/** Jobs the runtime queued (async triggers); a worker would run them. */
export const queued: CollectionJob[] = [];

/**
 * A runtime on the test's embedded ClickHouse with the judge pointed at a fake Groq.
 * Retries are short so failure paths stay fast; `env` overrides any key.
 */
export async function appRuntime(env: Record<string, string | undefined>): Promise<Runtime> {
  const full = {
    RETRY_MAX_ATTEMPTS: '2',
    RETRY_BASE_MS: '1',
    RETRY_CAP_MS: '5',
    LOG_LEVEL: 'SILENT',
    ...env,
  };
  return createRuntime(parseConfig(full), {
    mode: 'lambda',
    env: full,
    store: await testStore(),
    logger: silentLogger(),
    queue: {
      send: async (jobs) => {
        queued.push(...jobs);
      },
    },
  });
}

export const customerAuth = (customerId: string): AuthContext => ({
  customer_id: customerId,
  is_admin: false,
  key_id: '0123456789abcdef',
});

/** Calls a route handler the way API Gateway + the Lambda wrapper would; the JSON body parsed. */
export async function invoke(
  rt: Runtime,
  route: RouteHandler<Runtime>,
  input: ApiEventInput,
  // biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies field by field
): Promise<{ status: number; body: Record<string, any> }> {
  const handler = createHttpHandler(route, async () => rt);
  const event = buildApiEvent(input);
  const res = await handler(event, lambdaContext());
  const body = JSON.parse(String(res.body ?? 'null'));
  checkDocumented(event.routeKey, res.statusCode ?? 0, body);
  return { status: res.statusCode ?? 0, body };
}
