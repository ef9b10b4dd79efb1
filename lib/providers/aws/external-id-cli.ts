/**
 * Prints a customer's AWS ExternalId and the trust policy for the role they create.
 *
 *   OPTIINFRA_EXTERNAL_ID_SECRET=… npx tsx lib/providers/aws/external-id-cli.ts <customer_id> [collector_role_arn]
 *
 * The operator sends the output to the customer (docs/connections.md). A CLI is a
 * composition root, so it is the one place here that reads the environment.
 */
import { CustomerIdSchema } from '../../config/schema';
import { externalIdFor } from './external-id';

/** The trust policy that lets OptiInfra's collector role assume the customer's role, with the ExternalId required. */
export function trustPolicy(collectorRoleArn: string, externalId: string): unknown {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: collectorRoleArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

function main(argv: string[], env: NodeJS.ProcessEnv): number {
  const [customerId, collectorRole = '<OptiInfra collector role ARN, from the deployment outputs>'] = argv;
  const parsed = CustomerIdSchema.safeParse(customerId);
  if (!parsed.success) {
    process.stderr.write(
      'usage: external-id-cli.ts <customer_id> [collector_role_arn]\n  customer_id must match ^[A-Za-z0-9_-]{1,64}$\n',
    );
    return 2;
  }
  const secret = env.OPTIINFRA_EXTERNAL_ID_SECRET;
  if (!secret) {
    process.stderr.write(
      'OPTIINFRA_EXTERNAL_ID_SECRET is not set (use the deployment\u2019s value: ExternalIds derive from it)\n',
    );
    return 2;
  }
  try {
    const externalId = externalIdFor(parsed.data, secret);
    process.stdout.write(
      `${JSON.stringify({ customer_id: parsed.data, external_id: externalId, trust_policy: trustPolicy(collectorRole, externalId) }, null, 2)}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = main(process.argv.slice(2), process.env);
}

export { main as externalIdCli };
