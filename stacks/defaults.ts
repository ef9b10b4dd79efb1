import type { FunctionProps } from 'sst/constructs';

/**
 * Packages that must never enter a Lambda bundle. chDB ships libchdb (~540 MB) in
 * per-platform packages: far over Lambda's size limit and useless there, because deployed
 * functions always talk to ClickHouse over HTTPS (CLICKHOUSE_URL is a required secret).
 * lib/clickhouse/embedded.ts imports it dynamically, so marking it external leaves a
 * dynamic import that is never reached instead of a bundled native addon.
 */
export const LAMBDA_BUNDLE_EXTERNALS: readonly string[] = ['chdb', 'chdb/*', '@chdb/*'];

/** Lambda runtime of every function (Node 22: what the code targets in AWS). */
export const LAMBDA_RUNTIME = 'nodejs22.x' as const;

/** CloudWatch log retention of every function and of the API access log. */
export const LOG_RETENTION = 'one_month' as const;

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
      LOG_LEVEL: env.LOG_LEVEL?.trim() || 'INFO',
    },
  };
}
