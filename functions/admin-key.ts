import { createApiKey } from '../lib/auth/keys';
import { ValidationError } from '../lib/errors';
import { getRuntime } from './_runtime';

/**
 * Mints an admin API key. No route leads here: only an IAM principal allowed to invoke
 * this function (`aws lambda invoke`, docs/DEPLOY.md) can, which is how a deployment gets
 * its first admin key. The key is in the response once; only its hash is stored.
 */
export const handler = async (event: { label?: unknown } | null | undefined) => {
  const label = event?.label ?? 'bootstrap';
  if (typeof label !== 'string' || !/^[\w .:@-]{1,100}$/.test(label)) {
    throw new ValidationError('label must be 1-100 characters of letters, digits, space and _ . : @ -');
  }
  const rt = await getRuntime();
  const created = await createApiKey(rt.writer, { admin: true, label });
  rt.logger.info('admin key created', { key_id: created.key_id, label });
  return created;
};
