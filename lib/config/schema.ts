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
    .refine((v) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v), 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: intFrom(30_000, 1000),
  CLICKHOUSE_IDLE_SOCKET_TTL_MS: intFrom(2_500, 100),
  OPTIINFRA_DATA_DIR: z.string().optional().default('.optiinfra/data'),
  OPTIINFRA_CONNECTIONS_FILE: z.string().optional(),
  DEFAULT_CUSTOMER_ID: CustomerIdSchema.optional().default('default'),
  PORT: intFrom(3000, 0),
  LOCAL_HOURLY_RATE: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^\d+(\.\d+)?$/.test(v), 'must be a decimal number such as 0.42'),
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
    .refine((v) => ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'].includes(v), 'must be DEBUG, INFO, WARN, ERROR or SILENT'),
  COLLECTION_QUEUE_URL: z.string().optional(),
  MAX_BACKFILL_HOURS: intFrom(24 * 7, 1),
  RETRY_MAX_ATTEMPTS: intFrom(4, 1),
  RETRY_BASE_MS: intFrom(500, 0),
  RETRY_CAP_MS: intFrom(20_000, 0),
  COLLECTION_CONCURRENCY: intFrom(4, 1),
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
    readonly retry: { readonly maxAttempts: number; readonly baseMs: number; readonly capMs: number };
  };
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
      retry: { maxAttempts: e.RETRY_MAX_ATTEMPTS, baseMs: e.RETRY_BASE_MS, capMs: e.RETRY_CAP_MS },
    },
  });
}

/** The config as it may be logged: secrets replaced. */
export function redactConfig(config: AppConfig): unknown {
  return {
    ...config,
    clickhouse: { ...config.clickhouse, password: config.clickhouse.password ? '***' : '' },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
