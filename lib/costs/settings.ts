import type { z } from 'zod';
import type { Connection } from '../collector/types';
import { ProviderConfigError } from '../errors';

/**
 * The connection with its settings validated and defaults filled in. The runner does this
 * before collecting; connection tests may be called with settings as configured.
 */
export function parseConnectionSettings<S>(
  schema: z.ZodType<S>,
  connection: Connection<unknown>,
): Connection<S> {
  const parsed = schema.safeParse(connection.settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProviderConfigError(
      connection.provider,
      `invalid settings for connection "${connection.id}": ${issue?.path.join('.') || '(settings)'}: ${issue?.message}`,
    );
  }
  return { ...connection, settings: parsed.data };
}
