import { ConfigError } from '../errors';

/** A reference into the SecretStore: `store:<secret name>` (API-made connections). */
export const STORE_REF = 'store:';

/**
 * Turns `{ api_key: 'env:VULTR_API_KEY' }` into `{ api_key: '<value>' }`. Only references
 * are ever written in files or tables; the values come from the environment (in AWS, SST
 * Config secrets bound to the function). A missing variable is an error naming it.
 */
export function resolveSecretRefs(
  refs: Record<string, string> | null | undefined,
  env: Record<string, string | undefined>,
  where: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, ref] of Object.entries(refs ?? {})) {
    if (typeof ref !== 'string' || !ref.startsWith('env:')) {
      throw new ConfigError(`${where}: secrets.${name} must be a reference like "env:VARIABLE_NAME"`);
    }
    const variable = ref.slice(4);
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new ConfigError(`${where}: secrets.${name}: environment variable ${variable} is not set`);
    }
    out[name] = value;
  }
  return out;
}
