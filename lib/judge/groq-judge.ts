import Groq, { APIConnectionError, APIError, APIUserAbortError } from 'groq-sdk';
import { parseRetryAfter, type RetryPolicy, withRetry } from '../collector/retry';
import {
  errorMessage,
  ProviderAuthError,
  ProviderConfigError,
  ProviderError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../errors';
import type { Logger } from '../logger';
import { createRedactor } from '../redact';
import { type Clock, SYSTEM_CLOCK } from './clock';
import { JudgeOutputError, JudgeRequestError, JudgeUnavailableError } from './errors';
import { buildUserMessage, type JudgeInput, PROMPT_VERSION, SYSTEM_PROMPT } from './prompt';
import { createRateGate } from './rate-gate';
import { parseVerdict, VERDICT_JSON_SCHEMA, type Verdict } from './verdict';

export const DEFAULT_GROQ_BASE_URL = 'https://api.groq.com';
/** Room for the verdict and, on reasoning models, the hidden reasoning that precedes it. */
export const MAX_COMPLETION_TOKENS = 2048;

export interface JudgeUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface JudgeResult {
  verdict: Verdict;
  usage: JudgeUsage;
}

/**
 * An LLM judge: one interaction in, one validated verdict out. Throws JudgeOutputError or
 * JudgeRequestError for a problem with this one interaction (record it unevaluated), and
 * JudgeUnavailableError when the judge cannot be used at all (stop; samples wait).
 */
export interface Judge {
  readonly model: string;
  readonly promptVersion: string;
  /** Tokens to reserve for a call (prompt estimate + the completion cap). */
  estimateTokens(input: JudgeInput): number;
  evaluate(input: JudgeInput, opts?: { signal?: AbortSignal }): Promise<JudgeResult>;
}

export interface GroqJudgeOptions {
  apiKey: string;
  /** Host root; the SDK appends /openai/v1. */
  baseUrl?: string | undefined;
  model: string;
  timeoutMs: number;
  /** Our retry loop (the SDK's own is off): 429 waits honour retry-after, 5xx back off. */
  retry: RetryPolicy;
  logger?: Logger;
  clock?: Clock;
}

/** Structured outputs with constrained decoding exist on the GPT-OSS models only (Groq docs). */
export function supportsStrictSchema(model: string): boolean {
  return /^openai\/gpt-oss-/.test(model);
}

/**
 * Keeps a reasoning model's thinking out of the message content so it parses as JSON:
 * GPT-OSS takes `include_reasoning: false`, Qwen/DeepSeek-style models `reasoning_format`.
 */
export function reasoningParams(model: string): { include_reasoning?: boolean; reasoning_format?: 'hidden' } {
  if (/^openai\/gpt-oss-/.test(model)) return { include_reasoning: false };
  if (/qwen3|deepseek-r1|qwq/i.test(model)) return { reasoning_format: 'hidden' };
  return {};
}

const PROVIDER = 'groq';

/**
 * A judge on Groq's chat completions API (`groq-sdk`): temperature 0, the verdict as a
 * JSON schema (strict on models that support it), the answer validated with zod.
 *
 * Retries are ours, not the SDK's (`maxRetries: 0`): the same capped, jittered backoff as
 * every provider call, abortable, logged redacted — and a 429's `retry-after` (or
 * `retry-after-ms`) is honoured and shared through a gate by every call in flight, which
 * the SDK's per-request retry cannot do. The API key is only ever handed to the SDK;
 * error messages are redacted before they leave this module.
 *
 * @example
 * const judge = createGroqJudge({ apiKey, model: 'openai/gpt-oss-120b', timeoutMs: 60_000, retry: DEFAULT_RETRY });
 * const { verdict } = await judge.evaluate({ prompt, response, context });
 */
export function createGroqJudge(opts: GroqJudgeOptions): Judge {
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const redact = createRedactor([opts.apiKey]);
  const gate = createRateGate(clock);
  const client = new Groq({
    apiKey: opts.apiKey,
    // Always explicit: the SDK would otherwise read GROQ_BASE_URL from process.env itself.
    baseURL: opts.baseUrl ?? DEFAULT_GROQ_BASE_URL,
    maxRetries: 0,
    timeout: opts.timeoutMs,
    logLevel: 'off',
  });
  const strict = supportsStrictSchema(opts.model);

  async function callOnce(user: string, signal: AbortSignal | undefined) {
    await gate.wait(signal);
    // The SDK adds an abort listener to the signal it is given and never removes it; a
    // run makes thousands of calls on one signal, so each call gets a child signal.
    const call = new AbortController();
    const forward = () => call.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    try {
      return await client.chat.completions.create(
        {
          model: opts.model,
          temperature: 0,
          max_completion_tokens: MAX_COMPLETION_TOKENS,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: user },
          ],
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'llm_judge_verdict', schema: VERDICT_JSON_SCHEMA, strict },
          },
          ...reasoningParams(opts.model),
        },
        { signal: call.signal },
      );
    } catch (err) {
      const classified = classify(err, redact);
      if (classified instanceof ProviderRateLimitError && classified.retryAfterMs !== undefined) {
        gate.block(classified.retryAfterMs);
      }
      throw classified;
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }

  return {
    model: opts.model,
    promptVersion: PROMPT_VERSION,
    estimateTokens(input) {
      // ~3 characters per token errs high for English text; settled to real usage after.
      const chars =
        SYSTEM_PROMPT.length + buildUserMessage(input).length + JSON.stringify(VERDICT_JSON_SCHEMA).length;
      return Math.ceil(chars / 3) + MAX_COMPLETION_TOKENS;
    },
    async evaluate(input, { signal } = {}) {
      const user = buildUserMessage(input);
      let completion: Awaited<ReturnType<typeof callOnce>>;
      try {
        completion = await withRetry(() => callOnce(user, signal), opts.retry, {
          ...(signal ? { signal } : {}),
          sleep: (ms, s) => clock.sleep(ms, s),
          onRetry: (err, attempt, delayMs) =>
            opts.logger?.warn('judge call failed, retrying', {
              attempt,
              delay_ms: delayMs,
              error: errorMessage(err),
            }),
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        if (err instanceof JudgeOutputError || err instanceof JudgeRequestError) throw err;
        throw new JudgeUnavailableError(
          `the judge (Groq ${opts.model}) is unavailable: ${errorMessage(err)}`,
          { cause: err },
        );
      }
      const usage: JudgeUsage = {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        totalTokens: completion.usage?.total_tokens ?? 0,
      };
      const choice = completion.choices?.[0];
      if (choice?.finish_reason === 'length') {
        throw new JudgeOutputError(`the judge's answer was cut off at ${MAX_COMPLETION_TOKENS} tokens`, {
          tokens: usage.totalTokens,
        });
      }
      try {
        return { verdict: parseVerdict(choice?.message?.content), usage };
      } catch (err) {
        throw new JudgeOutputError(redact(errorMessage(err)), { cause: err, tokens: usage.totalTokens });
      }
    },
  };
}

/** Groq SDK errors → the classes our retry loop and the evaluation loop act on. */
function classify(err: unknown, redact: (s: string) => string): Error {
  if (err instanceof APIUserAbortError) return err;
  if (err instanceof APIConnectionError) {
    return new ProviderUnavailableError(
      PROVIDER,
      redact(`cannot reach Groq: ${errorMessage(err.cause ?? err)}`),
      { cause: err },
    );
  }
  if (!(err instanceof APIError)) return err instanceof Error ? err : new Error(String(err));
  const body = (err.error ?? {}) as { error?: { message?: string; code?: string; type?: string } };
  const detail = redact((body.error?.message ?? err.message).replace(/\s+/g, ' ').slice(0, 300));
  const status = err.status ?? 0;
  const message = `HTTP ${status}: ${detail}`;
  if (status === 429) {
    const ms = err.headers?.get('retry-after-ms');
    const retryAfterMs =
      ms !== null && ms !== undefined && Number.isFinite(Number(ms))
        ? Number(ms)
        : parseRetryAfter(err.headers?.get('retry-after'));
    return new ProviderRateLimitError(PROVIDER, message, retryAfterMs, { cause: err });
  }
  if (status === 401 || status === 403)
    return new ProviderAuthError(PROVIDER, `Groq rejected the API key (${message})`, { cause: err });
  if (status === 404)
    return new ProviderConfigError(PROVIDER, `Groq does not serve this model (${message})`, { cause: err });
  if (status === 400 && body.error?.code === 'json_validate_failed') {
    return new JudgeOutputError(
      `Groq could not make the judge's answer match the verdict schema (${message})`,
      { cause: err },
    );
  }
  if (status === 400 || status === 413 || status === 422)
    return new JudgeRequestError(`Groq refused the request (${message})`, { cause: err });
  if (status === 408 || status === 409 || status === 498 || status >= 500) {
    return new ProviderUnavailableError(PROVIDER, message, { cause: err });
  }
  return new ProviderError(PROVIDER, 'request_failed', message, false, { cause: err });
}
