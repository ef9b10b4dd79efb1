import { describe, expect, it } from 'vitest';
import { ADAPTERS, getAdapter } from '../../../lib/providers/adapters';
import { createRegistry, KNOWN_PROVIDER_IDS } from '../../../lib/providers/registry';

describe('ADAPTERS', () => {
  it('ships one adapter per GPU/general cloud and self-hosted platform of the issue, each a known provider id', () => {
    expect(ADAPTERS.map((a) => a.id).sort()).toEqual([
      'coreweave',
      'digitalocean',
      'docker',
      'hetzner',
      'kubernetes',
      'lambdalabs',
      'linode',
      'ovh',
      'paperspace',
      'runpod',
    ]);
    for (const a of ADAPTERS) expect(KNOWN_PROVIDER_IDS).toContain(a.id);
    expect(getAdapter('hetzner')?.displayName).toBe('Hetzner Cloud');
    expect(getAdapter('nope')).toBeUndefined();
  });

  it('gives each adapter a settings schema and a registered provider collecting its data types', () => {
    const registry = createRegistry();
    for (const a of ADAPTERS) {
      expect(a.settingsSchema, a.id).toBeDefined();
      expect(registry.dataTypes(a.id).length, a.id).toBeGreaterThan(0);
    }
    expect(registry.dataTypes('docker').sort()).toEqual(['performance', 'resource']);
    expect(registry.dataTypes('runpod').sort()).toEqual(['cost', 'performance', 'resource']);
  });
});
