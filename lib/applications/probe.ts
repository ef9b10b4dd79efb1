import type { CollectContext } from '../collector/types';
import { errorMessage, ProviderParseError } from '../errors';
import { fetchJson } from '../providers/http';
import type { ApplicationSampleInput } from '../schemas/rows';
import type { ApplicationConfig, CanaryPrompt } from './config';

interface ChatCompletion {
  model?: string;
  choices?: { message?: { content?: string | null }; finish_reason?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

export interface ProbeResult {
  samples: ApplicationSampleInput[];
  /** One line per canary prompt that got no answer. */
  failures: string[];
}

/**
 * Sends an application's canary prompts to its OpenAI-compatible endpoint
 * (`POST {base_url}/chat/completions`, temperature 0, one prompt at a time so latencies
 * do not disturb each other) and turns each answer into a sample: the response text, the
 * latency of the attempt that answered, and the token counts the endpoint reports.
 * Sample ids are `probe:<task id>:<prompt id>`, so a retried job does not probe twice
 * into the record. A prompt that fails after retries is reported, not sampled.
 */
export async function runProbe(app: ApplicationConfig, ctx: CollectContext): Promise<ProbeResult> {
  const probe = app.probe;
  if (!probe) return { samples: [], failures: [] };
  const samples: ApplicationSampleInput[] = [];
  const failures: string[] = [];
  for (const canary of probe.prompts) {
    ctx.signal.throwIfAborted();
    try {
      const { answer, latencyMs, startedAt } = await ctx.retry(
        `probe ${app.application}/${canary.id}`,
        async () => {
          ctx.meter.count('probe.chat.completions');
          const startedAt = ctx.now();
          const t0 = performance.now();
          const res = await fetchJson<ChatCompletion>(
            `probe:${app.application}`,
            `${probe.baseUrl}/chat/completions`,
            {
              method: 'POST',
              headers: probe.apiKey ? { authorization: `Bearer ${probe.apiKey}` } : {},
              body: {
                model: probe.model,
                messages: messages(canary),
                temperature: 0,
                max_tokens: probe.maxTokens,
              },
              signal: ctx.signal,
              timeoutMs: probe.timeoutMs,
            },
          );
          return {
            answer: res.data,
            latencyMs: Math.round((performance.now() - t0) * 1000) / 1000,
            startedAt,
          };
        },
      );
      const content = answer?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') {
        throw new ProviderParseError(
          `probe:${app.application}`,
          'the answer has no choices[0].message.content',
        );
      }
      samples.push({
        customer_id: app.customerId,
        application: app.application,
        provider: app.provider,
        model: probe.model,
        request_id: `probe:${ctx.taskId}:${canary.id}`,
        source: 'probe',
        sample_ts: startedAt,
        prompt: canary.prompt,
        response: content,
        context: canary.context ?? '',
        reference: canary.reference ?? '',
        latency_ms: latencyMs,
        prompt_tokens: wholeOrNull(answer.usage?.prompt_tokens),
        completion_tokens: wholeOrNull(answer.usage?.completion_tokens),
        sampling_bucket: 0,
        received_at: ctx.now(),
        task_id: ctx.taskId,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      failures.push(`${canary.id}: ${errorMessage(err)}`);
    }
  }
  return { samples, failures };
}

function messages(canary: CanaryPrompt) {
  const system = [
    canary.system,
    canary.context ? `Use this context to answer:\n${canary.context}` : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');
  return [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: canary.prompt }];
}

function wholeOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}
