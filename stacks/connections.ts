import { CATALOG_COPY } from './defaults';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { FunctionProps } from 'sst/constructs';
import { parse as parseYaml } from 'yaml';
import { ConnectionsFileSchema } from '../lib/connections/file';

/** Where the connections file lives inside every function bundle that gets it. */
export const BUNDLED_CONNECTIONS_FILE = 'optiinfra.connections.yaml';

/** Secret names must survive SST's env/SSM naming (`SST_Secret_value_<NAME>`). */
const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

export interface ConnectionsFileBundle {
  /** Path relative to the project root (what SST `copyFiles` expects). */
  readonly from: string;
  /** Absolute path on the deploying machine (`sst dev` runs functions there). */
  readonly absolute: string;
  /** Every `env:NAME` the file's connections refer to: each becomes a bound secret. */
  readonly secretNames: readonly string[];
}

/**
 * Reads the connections file that will be copied into the collector and API functions,
 * if it exists: `optiinfra.connections.yaml` at the project root, or the root-relative path
 * in OPTIINFRA_CONNECTIONS_SOURCE (one file per stage, for instance). It is validated here,
 * at deploy, with the same schema the functions use, so a bad file fails the deploy with
 * the file, the path inside it and the problem instead of failing every cold start.
 */
export function readConnectionsFile(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionsFileBundle | undefined {
  const configured = env.OPTIINFRA_CONNECTIONS_SOURCE?.trim();
  const from = normalize(configured || BUNDLED_CONNECTIONS_FILE);
  if (isAbsolute(from) || from.startsWith('..')) {
    throw new Error(
      `OPTIINFRA_CONNECTIONS_SOURCE must be a path inside the project, relative to its root; got "${configured}"`,
    );
  }
  const absolute = join(root, from);
  if (!existsSync(absolute)) {
    if (configured) throw new Error(`OPTIINFRA_CONNECTIONS_SOURCE: ${from} does not exist`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(absolute, 'utf8'));
  } catch (err) {
    throw new Error(`${from}: cannot parse connections file: ${(err as Error).message}`, { cause: err });
  }
  const parsed = ConnectionsFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${from}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const names = new Set<string>();
  parsed.data.connections.forEach((connection, i) => {
    for (const [key, ref] of Object.entries(connection.secrets)) {
      const name = ref.startsWith('env:') ? ref.slice(4) : '';
      if (!SECRET_NAME.test(name)) {
        throw new Error(
          `${from}: connections[${i}].secrets.${key} must be "env:NAME" with NAME made of letters, digits and _ (it becomes an SST secret); got "${ref}"`,
        );
      }
      names.add(name);
    }
  });
  return { from, absolute, secretNames: [...names].sort() };
}

/**
 * Secret names listed in OPTIINFRA_SECRETS (comma-separated): the ones connections stored
 * in ClickHouse refer to, which cannot be discovered at deploy.
 */
export function listedSecretNames(env: Readonly<Record<string, string | undefined>>): string[] {
  const names = (env.OPTIINFRA_SECRETS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!SECRET_NAME.test(name)) {
      throw new Error(
        `OPTIINFRA_SECRETS: "${name}" is not a valid secret name (letters, digits and _, starting with a letter)`,
      );
    }
  }
  return [...new Set(names)].sort();
}

/** Lambda's code directory: where `copyFiles` destinations end up in a zip function. */
const LAMBDA_TASK_ROOT = '/var/task';

/**
 * Function props that give a function the connections file: the copy into its bundle and
 * OPTIINFRA_CONNECTIONS_FILE pointing at it (under `sst dev` functions run on the
 * deploying machine, so they read the original).
 */
export function connectionsFileProps(
  bundle: ConnectionsFileBundle | undefined,
  local: boolean,
): Pick<FunctionProps, 'copyFiles' | 'environment'> {
  if (!bundle) return { copyFiles: [CATALOG_COPY] };
  return {
    copyFiles: [CATALOG_COPY, { from: bundle.from, to: BUNDLED_CONNECTIONS_FILE }],
    environment: {
      OPTIINFRA_CONNECTIONS_FILE: local ? bundle.absolute : `${LAMBDA_TASK_ROOT}/${BUNDLED_CONNECTIONS_FILE}`,
    },
  };
}
