/** `npm run create-key -- --customer acme [--label "ci"]` or `-- --admin` */
import { createApiKey } from '../auth/keys';
import { CUSTOMER_ID_PATTERN } from '../config/schema';
import { ValidationError } from '../errors';
import { runCommand } from './cli';

await runCommand(
  'npm run create-key',
  async (rt, _config, args) => {
    const customer = typeof args.customer === 'string' ? args.customer : undefined;
    const admin = args.admin === true;
    if (!admin && !customer)
      throw new ValidationError(
        'Usage: npm run create-key -- --customer <customer_id> [--label <text>]   (or -- --admin)',
      );
    if (customer && !CUSTOMER_ID_PATTERN.test(customer)) {
      throw new ValidationError(`--customer must match ^[A-Za-z0-9_-]{1,64}$, got "${customer}"`);
    }
    const created = await createApiKey(rt.writer, {
      customerId: admin ? null : customer,
      admin,
      ...(typeof args.label === 'string' ? { label: args.label } : {}),
    });
    console.log(JSON.stringify(created, null, 2));
    console.error('Keep the key now: only its hash is stored.');
  },
  { customer: { type: 'string' }, admin: { type: 'boolean' }, label: { type: 'string' } },
);
