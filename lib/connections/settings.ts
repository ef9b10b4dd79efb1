import type { Connection, ProviderDefinition } from '../collector/types';
import { ProviderConfigError } from '../errors';
import type { Logger } from '../logger';

/**
 * A connection's settings are kept everywhere **as configured** (connections file, database,
 * built-ins, the connections API) and parsed by the provider's schema exactly once, here, on
 * their way into a run or a connection test. Schemas transform what they read (durations to
 * milliseconds, defaults filled in) and need not accept their own output, so a parsed
 * connection must never be parsed again (issue #17: a file-configured Prometheus `step: 60s`
 * became 60000 at start-up and was then refused by the same schema in every run).
 */
export type ParseResult<S> = { ok: true; connection: Connection<S> } | { ok: false; error: string };

export function parseConnection<S>(
  provider: Pick<ProviderDefinition<S>, 'settingsSchema'>,
  connection: Connection<unknown>,
): ParseResult<S> {
  const parsed = provider.settingsSchema.safeParse(connection.settings ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `invalid settings for connection "${connection.id}": ${issue?.path.join('.') || '(settings)'}: ${issue?.message}`,
    };
  }
  return { ok: true, connection: { ...connection, settings: parsed.data } };
}

/** parseConnection that throws ProviderConfigError (naming the field) on invalid settings. */
export function parseConnectionOrThrow<S>(
  provider: Pick<ProviderDefinition<S>, 'settingsSchema' | 'id'>,
  connection: Connection<unknown>,
): Connection<S> {
  const result = parseConnection(provider, connection);
  if (!result.ok) throw new ProviderConfigError(connection.provider, result.error);
  return result.connection;
}

/**
 * Runs a provider's connection test on a connection as configured: its settings parsed once
 * (an invalid setting throws ProviderConfigError naming the field), then the provider's
 * free test call.
 */
export async function testConnectionAsConfigured<S>(
  provider: ProviderDefinition<S>,
  connection: Connection<unknown>,
  ctx: { signal: AbortSignal; logger: Logger },
): Promise<void> {
  await provider.testConnection({ connection: parseConnectionOrThrow(provider, connection), ...ctx });
}

/**
 * Checks settings as a user sent them (the connections API) against the provider's
 * schema, without keeping the parsed form: the connection is stored as sent and parsed
 * again, once, on its way into each run or test. Each issue names its field.
 */
export function settingsIssues(
  provider: Pick<ProviderDefinition, 'settingsSchema'>,
  settings: unknown,
): { field: string; message: string }[] {
  const parsed = provider.settingsSchema.safeParse(settings ?? {});
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => ({
    field: ['settings', ...i.path.map(String)].join('.'),
    message: i.message,
  }));
}
