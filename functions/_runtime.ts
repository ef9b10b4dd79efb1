/**
 * Composition root for every Lambda: reads SST Config and the environment once per cold
 * start, builds the runtime (ClickHouse client, writer, registry, queue) at module scope,
 * and hands it to handlers. The only place that reads process.env or sst/node/config.
 */
import { parseConfig } from '../lib/config/schema';
import { createHttpHandler, type RouteHandler } from '../lib/http/handler';
import { createRuntime, type Runtime } from '../lib/runtime';

/**
 * The SST Config secrets every deployment knows (stacks/Config.ts declares them; a stack
 * test keeps the two lists equal). Connection secrets named by the connections file or by
 * OPTIINFRA_SECRETS at deploy are bound too; whatever is bound to a function is read.
 */
export const CONFIG_KEYS = [
  'CLICKHOUSE_URL',
  'CLICKHOUSE_USER',
  'CLICKHOUSE_DATABASE',
  'CLICKHOUSE_PASSWORD',
  'GCP_SERVICE_ACCOUNT_KEY',
  'AZURE_CLIENT_SECRET',
  'VULTR_API_KEY',
  'GROQ_API_KEY',
] as const;

async function readEnvironment(): Promise<Record<string, string | undefined>> {
  const env: Record<string, string | undefined> = { ...process.env };
  // SST marks each bound Secret/Parameter with SST_<Secret|Parameter>_value_<NAME>.
  const bound = Object.keys(process.env).flatMap((name) => {
    const m = /^SST_(?:Secret|Parameter)_value_(.+)$/.exec(name);
    return m ? [m[1] as string] : [];
  });
  if (bound.length > 0) {
    // sst/node/config fetches bound secrets from SSM with top-level await on import.
    const { Config } = (await import('sst/node/config')) as unknown as { Config: Record<string, string> };
    for (const key of bound) env[key] = Config[key];
  }
  return env;
}

let runtime: Promise<Runtime> | undefined;

/** The process's runtime, built on first use and reused by warm invocations. */
export function getRuntime(): Promise<Runtime> {
  runtime ??= (async () => {
    const env = await readEnvironment();
    return createRuntime(parseConfig(env), { mode: 'lambda', env });
  })().catch((err) => {
    runtime = undefined;
    throw err;
  });
  return runtime;
}

/** An API Gateway (HTTP API, payload 2.0) handler for one route. */
export function httpHandler(route: RouteHandler<Runtime>) {
  return createHttpHandler(route, getRuntime);
}
