import { z } from 'zod';
import { ConfigError } from '../errors';

/** Customer ids are path segments and sort-key prefixes: keep them boring. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const CustomerIdSchema = z
  .string()
  .regex(CUSTOMER_ID_PATTERN, 'must match ^[A-Za-z0-9_-]{1,64}$ (letters, digits, _ and -)');

const intFrom = (fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number >= ${min}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const EnvSchema = z.object({
  CLICKHOUSE_URL: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), 'must be an http(s):// URL'),
  CLICKHOUSE_USER: z.string().optional().default('default'),
  CLICKHOUSE_PASSWORD: z.string().optional().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .optional()
    .default('optiinfra')
    .refine(
      (v) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v),
      'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)',
    ),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: intFrom(30_000, 1000),
  CLICKHOUSE_IDLE_SOCKET_TTL_MS: intFrom(2_500, 100),
  OPTIINFRA_DATA_DIR: z.string().optional().default('.optiinfra/data'),
  OPTIINFRA_CONNECTIONS_FILE: z.string().optional(),
  DEFAULT_CUSTOMER_ID: CustomerIdSchema.optional().default('default'),
  PORT: intFrom(3000, 0),
  LOCAL_HOURLY_RATE: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || v === '' || /^\d+(\.\d+)?$/.test(v),
      'must be a decimal number such as 0.42',
    ),
  LOCAL_CURRENCY: z
    .string()
    .optional()
    .default('USD')
    .refine((v) => /^[A-Z]{3}$/.test(v), 'must be an ISO 4217 code such as USD'),
  LOG_LEVEL: z
    .string()
    .optional()
    .default('INFO')
    .transform((v) => v.toUpperCase())
    .refine(
      (v) => ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'].includes(v),
      'must be DEBUG, INFO, WARN, ERROR or SILENT',
    ),
  COLLECTION_QUEUE_URL: z.string().optional(),
  MAX_BACKFILL_HOURS: intFrom(24 * 14, 1),
  RETRY_MAX_ATTEMPTS: intFrom(4, 1),
  RETRY_BASE_MS: intFrom(500, 0),
  RETRY_CAP_MS: intFrom(20_000, 0),
  COLLECTION_CONCURRENCY: intFrom(4, 1),
  // A synchronous trigger answers 202 (task id, status URL) after this long, below API Gateway's 29 s.
  SYNC_TRIGGER_WAIT_SECONDS: intFrom(25, 1).refine(
    (n) => n <= 28,
    'must be at most 28 (API Gateway stops waiting at 29 s)',
  ),
  // Application evaluation (LLM-as-judge on Groq). No key: evaluation is off, samples wait.
  GROQ_API_KEY: z.string().optional(),
  GROQ_BASE_URL: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim().replace(/\/+$/, '') : undefined))
    .refine(
      (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
      'must be an http(s):// URL (the host root, e.g. https://api.groq.com)',
    ),
  GROQ_MODEL: z
    .string()
    .optional()
    .default('openai/gpt-oss-120b')
    .refine(
      (v) => /^[A-Za-z0-9._:/-]{1,128}$/.test(v),
      'must be a Groq model id such as openai/gpt-oss-120b',
    ),
  JUDGE_CONCURRENCY: intFrom(4, 1),
  JUDGE_TOKEN_BUDGET: intFrom(200_000, 1000),
  JUDGE_SAMPLING_RATE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 1;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: `must be a number from 0 to 1, got "${v}"` });
        return z.NEVER;
      }
      return n;
    }),
  JUDGE_MAX_ATTEMPTS: intFrom(5, 1),
  JUDGE_TIMEOUT_MS: intFrom(60_000, 1000),
  JUDGE_CALIBRATION_INTERVAL_HOURS: intFrom(0, 0),
  OPTIINFRA_APPLICATIONS_FILE: z.string().optional(),
});

export interface AppConfig {
  readonly clickhouse: {
    /** Set: talk HTTP(S) to this server. Unset: embedded chDB in `dataDir`. */
    readonly url: string | undefined;
    readonly user: string;
    readonly password: string;
    readonly database: string;
    readonly requestTimeoutMs: number;
    readonly idleSocketTtlMs: number;
  };
  readonly dataDir: string;
  readonly connectionsFile: string | undefined;
  readonly defaultCustomerId: string;
  readonly port: number;
  readonly local: { readonly hourlyRate: string | undefined; readonly currency: string };
  readonly logLevel: string;
  readonly queueUrl: string | undefined;
  readonly collection: {
    readonly maxBackfillMs: number;
    readonly concurrency: number;
    /** How long a synchronous trigger waits for its runs before answering 202 (SYNC_TRIGGER_WAIT_SECONDS). */
    readonly syncWaitMs: number;
    readonly retry: { readonly maxAttempts: number; readonly baseMs: number; readonly capMs: number };
  };
  /** LLM-as-judge settings for application evaluation (docs/applications.md). */
  readonly judge: {
    /** Unset: evaluation is off; samples are still accepted and wait. Never logged. */
    readonly apiKey: string | undefined;
    /** Host root (the SDK appends /openai/v1); unset: Groq's default. */
    readonly baseUrl: string | undefined;
    readonly model: string;
    /** Judge calls in flight at once, per run. */
    readonly concurrency: number;
    /** Tokens (prompt + completion) one run may spend; the rest waits for the next run. */
    readonly tokenBudget: number;
    /** Share of ingested samples evaluated (0-1), chosen by a stable hash of the request id. */
    readonly samplingRate: number;
    /** Runs that may fail to get a valid verdict for one sample before it is left unevaluated. */
    readonly maxAttempts: number;
    readonly timeoutMs: number;
    /** 0: calibration only on demand; otherwise a scheduled run re-calibrates when older than this. */
    readonly calibrationIntervalMs: number;
  };
  /** YAML/JSON file describing customers' applications (sampling, probes). */
  readonly applicationsFile: string | undefined;
}

/**
 * Reads the environment-shaped record once and returns a frozen config, or throws a
 * `ConfigError` that names every bad key. Only composition roots (functions/_runtime.ts,
 * lib/local/main.ts) pass `process.env` here; the rest of lib/ receives `AppConfig`.
 *
 * @example
 * const config = parseConfig({ CLICKHOUSE_URL: 'https://ch.example.com:8443', CLICKHOUSE_PASSWORD: 's3cret' });
 */
export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  return deepFreeze({
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      requestTimeoutMs: e.CLICKHOUSE_REQUEST_TIMEOUT_MS,
      idleSocketTtlMs: e.CLICKHOUSE_IDLE_SOCKET_TTL_MS,
    },
    dataDir: e.OPTIINFRA_DATA_DIR,
    connectionsFile: e.OPTIINFRA_CONNECTIONS_FILE?.trim() || undefined,
    defaultCustomerId: e.DEFAULT_CUSTOMER_ID,
    port: e.PORT,
    local: { hourlyRate: e.LOCAL_HOURLY_RATE || undefined, currency: e.LOCAL_CURRENCY },
    logLevel: e.LOG_LEVEL,
    queueUrl: e.COLLECTION_QUEUE_URL?.trim() || undefined,
    collection: {
      maxBackfillMs: e.MAX_BACKFILL_HOURS * 3_600_000,
      concurrency: e.COLLECTION_CONCURRENCY,
      syncWaitMs: e.SYNC_TRIGGER_WAIT_SECONDS * 1000,
      retry: { maxAttempts: e.RETRY_MAX_ATTEMPTS, baseMs: e.RETRY_BASE_MS, capMs: e.RETRY_CAP_MS },
    },
    judge: {
      apiKey: e.GROQ_API_KEY?.trim() || undefined,
      baseUrl: e.GROQ_BASE_URL,
      model: e.GROQ_MODEL,
      concurrency: e.JUDGE_CONCURRENCY,
      tokenBudget: e.JUDGE_TOKEN_BUDGET,
      samplingRate: e.JUDGE_SAMPLING_RATE,
      maxAttempts: e.JUDGE_MAX_ATTEMPTS,
      timeoutMs: e.JUDGE_TIMEOUT_MS,
      calibrationIntervalMs: e.JUDGE_CALIBRATION_INTERVAL_HOURS * 3_600_000,
    },
    applicationsFile: e.OPTIINFRA_APPLICATIONS_FILE?.trim() || undefined,
  });
}

/** The config as it may be logged: secrets replaced. */
export function redactConfig(config: AppConfig): unknown {
  return {
    ...config,
    clickhouse: { ...config.clickhouse, password: config.clickhouse.password ? '***' : '' },
    judge: { ...config.judge, apiKey: config.judge.apiKey ? '***' : undefined },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
