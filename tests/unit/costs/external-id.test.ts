import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { AwsSettingsSchema } from '../../../lib/providers/aws/config';
import { externalIdFor, withGeneratedExternalIds } from '../../../lib/providers/aws/external-id';

const SECRET = 'deployment-secret-0123456789abcdef-xyz';

const aws = (customerId: string, settings: Record<string, unknown>): Connection => ({
  id: 'aws',
  customerId,
  provider: 'aws',
  enabled: true,
  settings,
  secrets: {},
  source: 'config',
});

describe('AWS ExternalId generated per customer', () => {
  it('is deterministic per customer and deployment secret, differs between customers, and is a valid ExternalId', () => {
    const a = externalIdFor('acme', SECRET);
    expect(externalIdFor('acme', SECRET)).toBe(a);
    expect(externalIdFor('acme2', SECRET)).not.toBe(a);
    expect(externalIdFor('acme', `${SECRET}-other`)).not.toBe(a);
    expect(a).toMatch(/^oi-[0-9a-f]{45}$/);
    expect(
      AwsSettingsSchema.safeParse({ role_arn: 'arn:aws:iam::123456789012:role/R', external_id: a }).success,
    ).toBe(true);
  });

  it('refuses a short deployment secret', () => {
    expect(() => externalIdFor('acme', 'short')).toThrow(
      'OPTIINFRA_EXTERNAL_ID_SECRET must be at least 32 characters',
    );
  });

  it('is filled into role connections without one, and never replaces an explicit one', async () => {
    const source = withGeneratedExternalIds(
      staticConnections([
        aws('acme', { role_arn: 'arn:aws:iam::123456789012:role/R' }),
        aws('beta', { role_arn: 'arn:aws:iam::123456789012:role/R', external_id: 'legacy-id-from-2025' }),
        aws('gamma', {}),
      ]),
      SECRET,
    );
    const [acme, beta, gamma] = await source.list();
    expect(acme?.settings).toMatchObject({ external_id: externalIdFor('acme', SECRET) });
    expect(beta?.settings).toMatchObject({ external_id: 'legacy-id-from-2025' });
    expect(gamma?.settings).toEqual({});
  });

  it('without a deployment secret, a role connection fails validation naming the setting and the variable', async () => {
    const [acme] = await withGeneratedExternalIds(
      staticConnections([aws('acme', { role_arn: 'arn:aws:iam::123456789012:role/R' })]),
      undefined,
    ).list();
    const parsed = AwsSettingsSchema.safeParse(acme?.settings);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['external_id']);
    expect(parsed.error?.issues[0]?.message).toContain('OPTIINFRA_EXTERNAL_ID_SECRET');
  });
});
