import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Connection } from '../collector/types';
import { CustomerIdSchema } from '../config/schema';
import { ConfigError } from '../errors';
import { resolveSecretRefs } from './secrets';

const ConnectionEntrySchema = z.strictObject({
  customer_id: CustomerIdSchema,
  provider: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be a provider id such as aws or vultr'),
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  enabled: z.boolean().default(true),
  settings: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), z.string()).default({}),
});

export const ConnectionsFileSchema = z.strictObject({
  connections: z.array(ConnectionEntrySchema).default([]),
});

/**
 * Reads a connections file (YAML or JSON):
 *
 * ```yaml
 * connections:
 *   - customer_id: acme
 *     provider: vultr
 *     settings: {}
 *     secrets: { api_key: env:ACME_VULTR_API_KEY }
 * ```
 * Errors name the file, the path inside it and the problem.
 */
export function loadConnectionsFile(path: string, env: Record<string, string | undefined>): Connection[] {
  const seen = new Set<string>();
  return readConnectionsDocument(path).connections.map((entry, i) => {
    const id = entry.id ?? entry.provider;
    const identity = `${entry.customer_id}/${entry.provider}/${id}`;
    if (seen.has(identity))
      throw new ConfigError(`${path}: connections[${i}]: duplicate connection ${identity}`);
    seen.add(identity);
    return {
      id,
      customerId: entry.customer_id,
      provider: entry.provider,
      enabled: entry.enabled,
      settings: entry.settings,
      secrets: resolveSecretRefs(entry.secrets, env, `${path}: connections[${i}]`),
      source: 'config' as const,
    };
  });
}

/** Reads and structurally validates a connections file; errors name the file and the path in it. */
export function readConnectionsDocument(path: string): z.output<typeof ConnectionsFileSchema> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: cannot read connections file: ${(err as Error).message}`, { cause: err });
  }
  const parsed = ConnectionsFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${path}: ${formatPath(issue?.path ?? [])}: ${issue?.message}`);
  }
  return parsed.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      '',
    ) || '(root)'
  );
}
