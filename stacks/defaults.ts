import type { FunctionProps } from 'sst/constructs';
import { parseConfig } from '../lib/config/schema';

/**
 * Packages that must never enter a Lambda bundle. chDB ships libchdb (~540 MB) in
 * per-platform packages: far over Lambda's size limit and useless there, because deployed
 * functions always talk to ClickHouse over HTTPS (CLICKHOUSE_URL is a required secret).
 * lib/clickhouse/embedded.ts imports it dynamically, so marking it external leaves a
 * dynamic import that is never reached instead of a bundled native addon.
 */
export const LAMBDA_BUNDLE_EXTERNALS: readonly string[] = ['chdb', 'chdb/*', '@chdb/*'];

/**
 * The provider catalog (lib/providers/generic/catalog.ts reads ./providers.yaml from the
 * working directory, /var/task in Lambda). Every function builds the runtime, which loads
 * the registry and so the catalog: every function carries it. SST replaces rather than
 * merges `copyFiles`, so functions list it next to their own files.
 */
export const CATALOG_COPY = { from: 'providers.yaml', to: 'providers.yaml' } as const;

/**
 * Files every function carries: the catalog, and the LLM judge's labeled calibration set
 * (lib/applications/calibration.ts finds it two levels above the bundled handler, as
 * migrations are found, i.e. /var/task/data/).
 */
export const RUNTIME_FILES: readonly { from: string; to: string }[] = [
  CATALOG_COPY,
  { from: 'data/judge-calibration.jsonl', to: 'data/judge-calibration.jsonl' },
];

/**
 * Non-secret tuning that may be set at deploy and is passed to every function as is
 * (validated at deploy with the functions' own config parser, so a bad value fails the
 * deploy rather than every cold start). Secrets never go here: they are SST secrets.
 */
export const DEPLOY_TUNING_KEYS = [
  'CLICKHOUSE_REQUEST_TIMEOUT_MS',
  'CLICKHOUSE_IDLE_SOCKET_TTL_MS',
  'MAX_BACKFILL_HOURS',
  'COLLECTION_CONCURRENCY',
  'SYNC_TRIGGER_WAIT_SECONDS',
  'RETRY_MAX_ATTEMPTS',
  'RETRY_BASE_MS',
  'RETRY_CAP_MS',
  'GROQ_BASE_URL',
  'GROQ_MODEL',
  'JUDGE_CONCURRENCY',
  'JUDGE_TOKEN_BUDGET',
  'JUDGE_SAMPLING_RATE',
  'JUDGE_MAX_ATTEMPTS',
  'JUDGE_TIMEOUT_MS',
  'JUDGE_CALIBRATION_INTERVAL_HOURS',
] as const;

function deployTuning(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of DEPLOY_TUNING_KEYS) {
    const v = env[key]?.trim();
    if (v) picked[key] = v;
  }
  try {
    parseConfig(picked);
  } catch (err) {
    throw new Error(`Deploy-time tuning: ${(err as Error).message}`, { cause: err });
  }
  return picked;
}

/** Lambda runtime of every function (Node 22: what the code targets in AWS). */
export const LAMBDA_RUNTIME = 'nodejs22.x' as const;

/** CloudWatch log retention of every function and of the API access log. */
export const LOG_RETENTION = 'one_month' as const;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * LOG_LEVEL of every function, from LAMBDA_LOG_LEVEL at deploy. Not LOG_LEVEL itself: SST
 * loads the project's `.env` on every command, and a developer's local LOG_LEVEL=DEBUG
 * must not follow them into production.
 */
function lambdaLogLevel(env: Readonly<Record<string, string | undefined>>): string {
  const level = (env.LAMBDA_LOG_LEVEL?.trim() || 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(level))
    throw new Error(`LAMBDA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${level}"`);
  return level;
}

/**
 * The app's default function props (sst.config.ts applies them with
 * `app.setDefaultFunctionProps`). Functions override timeout and memory where their work
 * differs; none sets `nodejs` itself, because SST merges these props shallowly and a
 * function-level `nodejs` would drop the chdb externals (a stack test checks every function).
 */
export function functionDefaults(env: Readonly<Record<string, string | undefined>>): FunctionProps {
  return {
    runtime: LAMBDA_RUNTIME,
    // Graviton: ~20% cheaper per GB-second for the same work; nothing here is x86-only
    // once chdb is out of the bundle.
    architecture: 'arm_64',
    timeout: 30,
    memorySize: 1024,
    logRetention: LOG_RETENTION,
    tracing: 'active',
    nodejs: {
      // sst/node/config uses top-level await: ESM is required.
      format: 'esm',
      esbuild: { external: [...LAMBDA_BUNDLE_EXTERNALS] },
    },
    environment: {
      ...deployTuning(env),
      LOG_LEVEL: lambdaLogLevel(env),
    },
  };
}
