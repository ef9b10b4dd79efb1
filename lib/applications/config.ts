import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CustomerIdSchema } from '../config/schema';
import { resolveSecretRefs } from '../connections/secrets';
import { ConfigError } from '../errors';
import { KNOWN_PROVIDER_IDS } from '../providers/registry';
import { ApplicationNameSchema } from './names';

/** One canary prompt a probe sends; `context`/`reference` let the judge check the answer. */
const CanaryPromptSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, . _ or -'),
  prompt: z.string().min(1).max(16_384),
  system: z.string().max(16_384).optional(),
  context: z.string().max(65_536).optional(),
  reference: z.string().max(16_384).optional(),
});

const ProbeSchema = z.strictObject({
  /** OpenAI-compatible API root including its version, e.g. https://llm.internal/v1 (…/chat/completions is appended). */
  base_url: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s):// URL such as https://llm.example.com/v1')
    .transform((v) => v.replace(/\/+$/, '')),
  model: z.string().min(1).max(256),
  /** Secret reference (`env:NAME`), sent as `Authorization: Bearer`. */
  api_key: z.string().optional(),
  max_tokens: z.number().int().min(1).max(32_768).default(512),
  timeout_ms: z.number().int().min(1000).max(300_000).default(30_000),
  prompts: z.array(CanaryPromptSchema).min(1).max(50),
});

const ApplicationEntrySchema = z.strictObject({
  customer_id: CustomerIdSchema,
  application: ApplicationNameSchema,
  provider: z.enum(KNOWN_PROVIDER_IDS, { message: `must be one of ${KNOWN_PROVIDER_IDS.join(', ')}` }),
  /** Overrides JUDGE_SAMPLING_RATE for this application. */
  sampling_rate: z.number().min(0).max(1).optional(),
  probe: ProbeSchema.optional(),
  /**
   * What the application runs on, for its unit economics (docs/recommendations.md): the
   * cost of these resources (by id, or every resource carrying all these tags) is divided
   * over its requests. Without it, the cost per request is reported as unknown.
   */
  runs_on: z
    .strictObject({
      resources: z.array(z.string().min(1).max(1024)).max(100).default([]),
      tags: z.record(z.string().min(1).max(256), z.string().max(256)).default({}),
    })
    .optional(),
});

export const ApplicationsFileSchema = z.strictObject({
  applications: z.array(ApplicationEntrySchema).default([]),
});

export interface CanaryPrompt {
  id: string;
  prompt: string;
  system?: string | undefined;
  context?: string | undefined;
  reference?: string | undefined;
}

export interface ProbeConfig {
  baseUrl: string;
  model: string;
  /** Resolved secret; never logged or returned. */
  apiKey: string | undefined;
  maxTokens: number;
  timeoutMs: number;
  prompts: readonly CanaryPrompt[];
}

/** A customer's application as configured: its sampling rate and, optionally, a probe. */
export interface ApplicationConfig {
  customerId: string;
  application: string;
  provider: string;
  samplingRate: number | undefined;
  probe: ProbeConfig | undefined;
  /** The resources its cost is attributed from (unit economics); undefined = not mapped. */
  runsOn?: { resources: readonly string[]; tags: Readonly<Record<string, string>> } | undefined;
}

/**
 * Reads an applications file (YAML or JSON):
 *
 * ```yaml
 * applications:
 *   - customer_id: acme
 *     application: support-bot
 *     provider: aws            # where the app runs
 *     sampling_rate: 0.2       # evaluate 20% of ingested samples
 *     probe:                   # canary prompts sent every scheduled run
 *       base_url: https://llm.acme.internal/v1
 *       model: meta-llama/Llama-3.1-8B-Instruct
 *       api_key: env:ACME_LLM_KEY
 *       prompts:
 *         - id: refund-policy
 *           prompt: What is your refund policy?
 *           reference: Refunds within 30 days with a receipt.
 * ```
 * Errors name the file, the path inside it and the problem.
 */
export function loadApplicationsFile(
  path: string,
  env: Record<string, string | undefined>,
): ApplicationConfig[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: cannot read applications file: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseApplications(raw ?? {}, env, path);
}

/** Validates an applications document (already parsed) and resolves its secret references. */
export function parseApplications(
  raw: unknown,
  env: Record<string, string | undefined>,
  where: string,
): ApplicationConfig[] {
  const parsed = ApplicationsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = (issue?.path ?? [])
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new ConfigError(`${where}: ${at || '(root)'}: ${issue?.message}`);
  }
  const seen = new Set<string>();
  return parsed.data.applications.map((a, i) => {
    const key = `${a.customer_id}/${a.application}`;
    if (seen.has(key)) throw new ConfigError(`${where}: applications[${i}]: duplicate application ${key}`);
    seen.add(key);
    const secrets = a.probe?.api_key
      ? resolveSecretRefs({ api_key: a.probe.api_key }, env, `${where}: applications[${i}].probe`)
      : {};
    return {
      customerId: a.customer_id,
      application: a.application,
      provider: a.provider,
      samplingRate: a.sampling_rate,
      probe: a.probe
        ? {
            baseUrl: a.probe.base_url,
            model: a.probe.model,
            apiKey: secrets.api_key,
            maxTokens: a.probe.max_tokens,
            timeoutMs: a.probe.timeout_ms,
            prompts: a.probe.prompts,
          }
        : undefined,
      ...(a.runs_on ? { runsOn: { resources: a.runs_on.resources, tags: a.runs_on.tags } } : {}),
    };
  });
}
