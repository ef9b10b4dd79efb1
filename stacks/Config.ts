import { Config as SstConfig, type StackContext } from 'sst/constructs';
import { useProject } from 'sst/project.js';
import {
  type ConnectionsFileBundle,
  listedSecretNames,
  readApplicationsFile,
  readConnectionsFile,
} from './connections';

/**
 * Where ClickHouse is and how to log in. All four are secrets set per stage with
 * `npx sst secrets set NAME value --stage <stage>`, none has a default in code: every
 * function binds them, so a stage where one is unset fails the deploy in the migrations
 * Script with SST's "The following secret values are not set in the "<stage> stage": ..."
 * instead of quietly using some other database.
 */
export const CLICKHOUSE_SECRETS = [
  'CLICKHOUSE_URL',
  'CLICKHOUSE_USER',
  'CLICKHOUSE_DATABASE',
  'CLICKHOUSE_PASSWORD',
] as const;

/**
 * Well-known provider credentials (connections refer to them as `env:NAME`). Declared in
 * every stage; bound only when something refers to them (see `Config`), because a bound
 * secret that was never set fails the function's cold start.
 */
export const PROVIDER_SECRETS = [
  'GCP_SERVICE_ACCOUNT_KEY',
  'AZURE_CLIENT_SECRET',
  'VULTR_API_KEY',
  'GROQ_API_KEY',
] as const;

export interface ConfigOutputs {
  /** Every secret declared in this stage, by name. */
  readonly secrets: Readonly<Record<string, SstConfig.Secret>>;
  /** Bound to every function: the ClickHouse connection. */
  readonly clickhouse: readonly SstConfig.Secret[];
  /**
   * Bound to the functions that load connections (collector and API functions): the
   * secrets the connections file names plus those listed in OPTIINFRA_SECRETS.
   */
  readonly connectionSecrets: readonly SstConfig.Secret[];
  /** The connections file copied into collector and API functions, when there is one. */
  readonly connectionsFile: ConnectionsFileBundle | undefined;
  /** The applications file (judge and probes) copied alongside, when there is one. */
  readonly applicationsFile: ConnectionsFileBundle | undefined;
}

/**
 * Config: SST secrets (SSM SecureString parameters under /sst/optiinfra/<stage>/) for
 * ClickHouse and provider credentials. Values never enter the template or the bundle;
 * functions fetch the ones bound to them at cold start (functions/_runtime.ts).
 */
export function Config({ stack }: StackContext): ConfigOutputs {
  const connectionsFile = readConnectionsFile(useProject().paths.root, process.env);
  const applicationsFile = readApplicationsFile(useProject().paths.root, process.env);
  const connectionNames = [
    ...new Set([
      ...(connectionsFile?.secretNames ?? []),
      ...(applicationsFile?.secretNames ?? []),
      ...listedSecretNames(process.env),
    ]),
  ].sort();

  const secrets: Record<string, SstConfig.Secret> = {};
  for (const name of [...CLICKHOUSE_SECRETS, ...PROVIDER_SECRETS, ...connectionNames]) {
    secrets[name] ??= new SstConfig.Secret(stack, name);
  }
  const pick = (names: readonly string[]) => names.map((n) => secrets[n] as SstConfig.Secret);
  return {
    secrets,
    clickhouse: pick(CLICKHOUSE_SECRETS),
    // ClickHouse secrets are already bound everywhere; binding twice adds nothing.
    connectionSecrets: pick(
      connectionNames.filter((n) => !(CLICKHOUSE_SECRETS as readonly string[]).includes(n)),
    ),
    connectionsFile,
    applicationsFile,
  };
}
