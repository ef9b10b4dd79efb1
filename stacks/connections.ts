import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { FunctionProps } from 'sst/constructs';
import { parse as parseYaml } from 'yaml';
import { ApplicationsFileSchema } from '../lib/applications/config';
import { ConnectionsFileSchema } from '../lib/connections/file';
import { EXTERNAL_ID_SECRET_MIN_LENGTH } from '../lib/providers/aws/external-id';
import { checkConnectionsFile } from '../lib/providers/generic/validate';
import { createRegistry } from '../lib/providers/registry';
import { RUNTIME_FILES } from './defaults';

/** Where the connections file lives inside every function bundle that gets it. */
export const BUNDLED_CONNECTIONS_FILE = 'optiinfra.connections.yaml';

/** Secret names must survive SST's env/SSM naming (`SST_Secret_value_<NAME>`). */
const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

/** Where the applications file lives inside every function bundle that gets it. */
export const BUNDLED_APPLICATIONS_FILE = 'optiinfra.applications.yaml';

/** A configuration file shipped inside function bundles. */
export interface ConnectionsFileBundle {
  /** Path relative to the project root (what SST `copyFiles` expects). */
  readonly from: string;
  /** Its name inside the bundle. */
  readonly bundledName: string;
  /** Absolute path on the deploying machine (`sst dev` runs functions there). */
  readonly absolute: string;
  /** Every `env:NAME` the file refers to: each becomes a bound secret. */
  readonly secretNames: readonly string[];
}

interface ShippedFileSpec {
  /** What the file is, for messages. */
  readonly kind: string;
  /** Deploy-time variable naming a root-relative source path instead of the default. */
  readonly sourceVar: string;
  /** Default source at the project root, and its name inside the bundle. */
  readonly bundledName: string;
  /**
   * Validates the parsed document (throwing with file/path/problem) and returns the names
   * of the secrets it refers to as `env:NAME`: each becomes a bound SST secret.
   */
  readonly check: (raw: unknown, from: string, absolute: string) => string[];
}

/**
 * Reads a configuration file that will be copied into function bundles, if it exists:
 * `spec.bundledName` at the project root, or the root-relative path in `spec.sourceVar`.
 * It is validated here, at deploy, with the same code the functions use, so a bad file
 * fails the deploy with the file, the path inside it and the problem instead of failing
 * every cold start.
 */
function readShippedFile(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
  spec: ShippedFileSpec,
): ConnectionsFileBundle | undefined {
  const configured = env[spec.sourceVar]?.trim();
  const from = normalize(configured || spec.bundledName);
  if (isAbsolute(from) || from.startsWith('..')) {
    throw new Error(
      `${spec.sourceVar} must be a path inside the project, relative to its root; got "${configured}"`,
    );
  }
  const absolute = join(root, from);
  if (!existsSync(absolute)) {
    if (configured) throw new Error(`${spec.sourceVar}: ${from} does not exist`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(absolute, 'utf8'));
  } catch (err) {
    throw new Error(`${from}: cannot parse ${spec.kind}: ${(err as Error).message}`, { cause: err });
  }
  const names = spec.check(raw ?? {}, from, absolute);
  for (const name of names) {
    if (!SECRET_NAME.test(name)) {
      throw new Error(
        `${from}: secret "${name}" must be a name of letters, digits and _ (it becomes an SST secret)`,
      );
    }
  }
  return { from, absolute, bundledName: spec.bundledName, secretNames: [...new Set(names)].sort() };
}

/** The secret a reference names: `env:NAME` → NAME. */
function referencedSecret(ref: string, where: string): string {
  const name = ref.startsWith('env:') ? ref.slice(4) : '';
  if (!SECRET_NAME.test(name)) {
    throw new Error(
      `${where} must be "env:NAME" with NAME made of letters, digits and _ (it becomes an SST secret); got "${ref}"`,
    );
  }
  return name;
}

/** Stands in for OPTIINFRA_EXTERNAL_ID_SECRET when checking at deploy that a generated ExternalId will exist. */
const EXTERNAL_ID_PLACEHOLDER = 'x'.repeat(EXTERNAL_ID_SECRET_MIN_LENGTH);

/**
 * The connections file (`optiinfra.connections.yaml`, or OPTIINFRA_CONNECTIONS_SOURCE):
 * structure and every provider's settings checked with the start-up check. An AWS role
 * connection without its own external_id relies on the generated one, so the deployment
 * secret OPTIINFRA_EXTERNAL_ID_SECRET is bound too (and a stage without it fails to deploy).
 */
export function readConnectionsFile(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionsFileBundle | undefined {
  return readShippedFile(root, env, {
    kind: 'connections file',
    sourceVar: 'OPTIINFRA_CONNECTIONS_SOURCE',
    bundledName: BUNDLED_CONNECTIONS_FILE,
    check(raw, from, absolute) {
      const parsed = ConnectionsFileSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${from}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
      }
      const names: string[] = [];
      let generatesExternalIds = false;
      parsed.data.connections.forEach((connection, i) => {
        for (const [key, ref] of Object.entries(connection.secrets)) {
          names.push(referencedSecret(ref, `${from}: connections[${i}].secrets.${key}`));
        }
        const s = connection.settings as { role_arn?: unknown; external_id?: unknown };
        if (connection.provider === 'aws' && s.role_arn && !s.external_id) generatesExternalIds = true;
      });
      if (generatesExternalIds) names.push('OPTIINFRA_EXTERNAL_ID_SECRET');
      try {
        checkConnectionsFile(absolute, createRegistry(), {
          externalIdSecret: generatesExternalIds ? EXTERNAL_ID_PLACEHOLDER : undefined,
        });
      } catch (err) {
        throw new Error((err as Error).message.split(absolute).join(from), { cause: err });
      }
      return names;
    },
  });
}

/**
 * The applications file (`optiinfra.applications.yaml`, or OPTIINFRA_APPLICATIONS_SOURCE):
 * which applications the judge evaluates and which are probed; probe API keys are secrets.
 */
export function readApplicationsFile(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionsFileBundle | undefined {
  return readShippedFile(root, env, {
    kind: 'applications file',
    sourceVar: 'OPTIINFRA_APPLICATIONS_SOURCE',
    bundledName: BUNDLED_APPLICATIONS_FILE,
    check(raw, from) {
      const parsed = ApplicationsFileSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${from}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
      }
      return parsed.data.applications.flatMap((a, i) =>
        a.probe?.api_key
          ? [referencedSecret(a.probe.api_key, `${from}: applications[${i}].probe.api_key`)]
          : [],
      );
    },
  });
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
 * Function props that give a function the runtime files (catalog, calibration set) and
 * the shipped configuration files: the copies into its bundle and the variables pointing
 * at them (under `sst dev` functions run on the deploying machine, so they read the originals).
 */
export function shippedFilesProps(
  files: {
    connections?: ConnectionsFileBundle | undefined;
    applications?: ConnectionsFileBundle | undefined;
  },
  local: boolean,
): Pick<FunctionProps, 'copyFiles' | 'environment'> {
  const copyFiles = [...RUNTIME_FILES];
  const environment: Record<string, string> = {};
  const ship = (bundle: ConnectionsFileBundle | undefined, variable: string) => {
    if (!bundle) return;
    copyFiles.push({ from: bundle.from, to: bundle.bundledName });
    environment[variable] = local ? bundle.absolute : `${LAMBDA_TASK_ROOT}/${bundle.bundledName}`;
  };
  ship(files.connections, 'OPTIINFRA_CONNECTIONS_FILE');
  ship(files.applications, 'OPTIINFRA_APPLICATIONS_FILE');
  return { copyFiles, ...(Object.keys(environment).length ? { environment } : {}) };
}
