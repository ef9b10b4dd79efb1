import { describe, expect, it } from 'vitest';
import { assertProviderAvailable } from '../../lib/collector/trigger';
import type { ProviderDefinition } from '../../lib/collector/types';
import { NotFoundError } from '../../lib/errors';
import { localProvider } from '../../lib/providers/local';
import { createRegistry } from '../../lib/providers/registry';

describe('assertProviderAvailable', () => {
  // A deployment that trims providers.yaml ships fewer providers than the product knows.
  const registry = createRegistry([localProvider as ProviderDefinition<unknown>]);

  it('passes a registered provider', () => {
    expect(() => assertProviderAvailable(registry, 'local')).not.toThrow();
  });

  it('tells a known provider this deployment does not ship from an unknown one', () => {
    expect(() => assertProviderAvailable(registry, 'runpod')).toThrow(
      new NotFoundError('Provider "runpod" has no collector in this deployment.'),
    );
    expect(() => assertProviderAvailable(registry, 'nimbus')).toThrow(
      new NotFoundError('Unknown provider "nimbus". Known providers: local (or "all").'),
    );
  });
});
