import { z } from 'zod';
import { createApiKey, findApiKeyOwner, revokeApiKey } from '../../auth/keys';
import { CustomerIdSchema } from '../../config/schema';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

export const CreateKeyBody = z.strictObject({
  customer_id: CustomerIdSchema.optional(),
  admin: z.boolean().default(false),
  label: z.string().max(200).optional(),
});

export const KeyPathSchema = z.object({
  key_id: z.string().regex(/^[a-f0-9]{16}$/, 'must be a 16-hex-digit key id'),
});

/** POST /api/v1/keys (admin) — `{ customer_id }` → `{ key, key_id, customer_id }`; the key is shown once. */
export const keysCreate: RouteHandler<Runtime> = async (req) => {
  req.requireAdmin();
  const body = req.body(CreateKeyBody);
  if (!body.admin && !body.customer_id)
    throw new ValidationError('body customer_id: required (or "admin": true)');
  if (body.admin && body.customer_id)
    throw new ValidationError('body: an admin key belongs to no customer; drop customer_id');
  const created = await createApiKey(req.runtime.writer, {
    customerId: body.customer_id ?? null,
    admin: body.admin,
    ...(body.label ? { label: body.label } : {}),
  });
  req.logger.info('api key created', {
    key_id: created.key_id,
    customer_id: created.customer_id,
    admin: created.is_admin,
  });
  return { status: 201, body: created };
};

/** DELETE /api/v1/keys/{key_id} — admins revoke any key, a customer its own customer's keys. */
export const keysRevoke: RouteHandler<Runtime> = async (req) => {
  const { key_id } = req.path(KeyPathSchema);
  const auth = req.requireAuth();
  const rt = req.runtime;
  const owner = await findApiKeyOwner(rt.store, key_id);
  if (!owner) throw new NotFoundError(`No API key ${key_id}.`);
  if (!auth.is_admin && (owner.is_admin || owner.customer_id !== auth.customer_id))
    throw new ForbiddenError();
  await revokeApiKey(rt.store, rt.writer, key_id);
  req.logger.info('api key revoked', { key_id });
  return { body: { key_id, revoked: true } };
};
