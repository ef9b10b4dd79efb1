import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Store } from '../clickhouse/client';
import { ConfigError } from '../errors';
import { toClickHouseTime } from '../time';

/**
 * Where API-made connections' secrets live. One secret per connection, holding a JSON
 * object of secret name → value. Values never leave the process except to the provider.
 */
export interface SecretStore {
  readonly kind: 'aws-secrets-manager' | 'embedded';
  get(name: string): Promise<Record<string, string> | undefined>;
  put(name: string, value: Record<string, string>): Promise<void>;
  delete(name: string): Promise<void>;
}

/** How long a warm process may reuse a secret it read (the bound: 5 minutes). */
export const SECRET_CACHE_TTL_MS = 5 * 60_000;

// ---------------------------------------------------------------- AWS Secrets Manager

export interface AwsSecretStoreOptions {
  /** Deployment-scoped name prefix, e.g. `optiinfra/prod/connections/`; the IAM grant covers only it. */
  prefix: string;
  region?: string;
  /** Overrides the endpoint (tests' wire-format stand-in). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  now?: () => number;
}

/** The one place a Secrets Manager client is made. */
export function createSecretsManagerClient(opts: Omit<AwsSecretStoreOptions, 'prefix' | 'now'>) {
  return new SecretsManagerClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: 3,
  });
}

/**
 * Secrets Manager: one secret per connection under the deployment's prefix. Reads are
 * cached per warm Lambda for at most SECRET_CACHE_TTL_MS; writes refresh the cache.
 */
export function awsSecretStore(opts: AwsSecretStoreOptions): SecretStore {
  const client = createSecretsManagerClient(opts);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Record<string, string> | undefined }>();
  const id = (name: string) => `${opts.prefix}${name}`;
  return {
    kind: 'aws-secrets-manager',
    async get(name) {
      const hit = cache.get(name);
      if (hit && now() - hit.at < SECRET_CACHE_TTL_MS) return hit.value;
      let value: Record<string, string> | undefined;
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: id(name) }));
        value = out.SecretString ? (JSON.parse(out.SecretString) as Record<string, string>) : undefined;
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        value = undefined;
      }
      cache.set(name, { at: now(), value });
      return value;
    },
    async put(name, value) {
      const SecretString = JSON.stringify(value);
      try {
        await client.send(new PutSecretValueCommand({ SecretId: id(name), SecretString }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        await client.send(
          new CreateSecretCommand({
            Name: id(name),
            SecretString,
            Description: 'OptiInfra connection secrets',
          }),
        );
      }
      cache.set(name, { at: now(), value });
    },
    async delete(name) {
      try {
        await client.send(new DeleteSecretCommand({ SecretId: id(name), ForceDeleteWithoutRecovery: true }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
      }
      cache.delete(name);
    },
  };
}

// ---------------------------------------------------------------- embedded (AES-256-GCM)

const MASTER_KEY_FILE = 'master-key';

/**
 * The embedded store's key-encryption key: `OPTIINFRA_MASTER_KEY` (64 hex digits or 32
 * bytes base64) or the `master-key` file in the data folder, created with mode 0600 on
 * first use. Read lazily, so a process that never touches a secret creates no file.
 */
export function masterKeyLoader(opts: { dataDir: string; envKey?: string | undefined }): () => Buffer {
  let key: Buffer | undefined;
  return () => {
    if (key) return key;
    if (opts.envKey) {
      key = decodeKey(opts.envKey, 'OPTIINFRA_MASTER_KEY');
      return key;
    }
    const path = join(opts.dataDir, MASTER_KEY_FILE);
    if (!existsSync(path)) {
      mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
        closeSync(fd);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    key = decodeKey(readFileSync(path, 'utf8').trim(), path);
    return key;
  };
}

function decodeKey(text: string, where: string): Buffer {
  const buf = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (buf.length !== 32)
    throw new ConfigError(`${where}: must be a 256-bit key (64 hex digits or 32 bytes in base64)`);
  return buf;
}

interface Sealed {
  iv: string;
  tag: string;
  ct: string;
}

function seal(key: Buffer, plain: Buffer, aad: string): Sealed {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

function open(key: Buffer, s: Sealed, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(s.tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(s.ct, 'base64')), d.final()]);
}

/**
 * Envelope encryption: each secret gets a fresh data key (AES-256-GCM), itself sealed with
 * the master key. Both bind the secret's name as associated data, so a ciphertext copied
 * to another name does not open.
 */
export function encryptSecret(masterKey: Buffer, name: string, value: Record<string, string>): string {
  const dataKey = randomBytes(32);
  const payload = seal(dataKey, Buffer.from(JSON.stringify(value)), name);
  const wrapped = seal(masterKey, dataKey, name);
  return JSON.stringify({ v: 1, alg: 'AES-256-GCM', key: wrapped, payload });
}

export function decryptSecret(masterKey: Buffer, name: string, envelope: string): Record<string, string> {
  const e = JSON.parse(envelope) as { key: Sealed; payload: Sealed };
  const dataKey = open(masterKey, e.key, name);
  return JSON.parse(open(dataKey, e.payload, name).toString('utf8')) as Record<string, string>;
}

/** The embedded default: ciphertext in ClickHouse (`connection_secrets`), the key outside it. */
export function embeddedSecretStore(store: Store, masterKey: () => Buffer): SecretStore {
  const write = async (name: string, ciphertext: string, deleted: boolean) => {
    const now = Date.now();
    await store.client.insert({
      table: 'connection_secrets',
      values: [
        {
          name,
          ciphertext,
          updated_at: toClickHouseTime(new Date(now)),
          version: now * 1000 + Math.floor(Math.random() * 1000),
          is_deleted: deleted ? 1 : 0,
        },
      ],
      format: 'JSONEachRow',
    });
  };
  return {
    kind: 'embedded',
    async get(name) {
      const rs = await store.client.query({
        query: 'SELECT ciphertext FROM connection_secrets FINAL WHERE name = {name:String}',
        query_params: { name },
        format: 'JSONEachRow',
      });
      const row = (await rs.json<{ ciphertext: string }>())[0];
      return row ? decryptSecret(masterKey(), name, row.ciphertext) : undefined;
    },
    put: (name, value) => write(name, encryptSecret(masterKey(), name, value), false),
    delete: (name) => write(name, '', true),
  };
}
