import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import type { Connection, ProviderDefinition } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { parseConnection } from '../../../lib/connections/settings';
import { ConfigError } from '../../../lib/errors';
import { externalIdFor } from '../../../lib/providers/aws/external-id';
import { createRuntime } from '../../../lib/runtime';
import { silentLogger, testStore } from '../../helpers/store';

const SECRET = 'deployment-secret-0123456789abcdef-xyz';
const dir = mkdtempSync(join(tmpdir(), 'optiinfra-connections-'));

function file(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

let store: Store;
beforeAll(async () => {
  store = await testStore();
});

async function runtimeFor(path: string, env: Record<string, string> = {}) {
  const all = { OPTIINFRA_CONNECTIONS_FILE: path, ...env };
  return createRuntime(parseConfig(all), { mode: 'lambda', env: all, store, logger: silentLogger() });
}

const VALID = `connections:
  - customer_id: acme
    provider: aws
    id: payer
    settings:
      role_arn: arn:aws:iam::123456789012:role/OptiInfraCostReader
      resource_level_costs: true
  - customer_id: acme
    provider: azure
    settings:
      tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
      client_id: 3b1f6c2e-9d4a-4e7b-8c5d-2a1b0f9e8d7c
      subscription_ids: [8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b]
    secrets: { client_secret: env:ACME_AZURE_SECRET }
  - customer_id: acme
    provider: gcp
    settings:
      project_ids: [ml-train-prod]
      billing_export_table: billing-export-prj.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9
  - customer_id: acme
    provider: vultr
    secrets: { api_key: env:ACME_VULTR_KEY }
`;

describe('connections file for cost collection (validated at start-up)', () => {
  it('loads the documented example as written, adds the generated ExternalId, and the one parse fills defaults', async () => {
    const rt = await runtimeFor(file('valid.yaml', VALID), {
      OPTIINFRA_EXTERNAL_ID_SECRET: SECRET,
      ACME_AZURE_SECRET: 'azure-secret',
      ACME_VULTR_KEY: 'vultr-key',
    });
    const connections = await rt.connections.list({ customerId: 'acme' });
    const find = (p: string) => connections.find((c) => c.provider === p) as Connection;
    // Kept as configured (issue #17: settings are parsed once, on their way into a run)…
    expect(find('aws').settings).toEqual({
      role_arn: 'arn:aws:iam::123456789012:role/OptiInfraCostReader',
      resource_level_costs: true,
      external_id: externalIdFor('acme', SECRET),
    });
    expect(find('vultr').settings).toEqual({});
    // …and that parse fills each provider's defaults.
    const parsed = (p: string) => {
      const r = parseConnection(rt.registry.get(p) as ProviderDefinition, find(p));
      if (!r.ok) throw new Error(r.error);
      return r.connection.settings;
    };
    expect(parsed('aws')).toMatchObject({
      external_id: externalIdFor('acme', SECRET),
      cost_explorer_daily_budget: 8,
      cost_month_final_day: 5,
      resource_level_costs: true,
    });
    expect(parsed('azure')).toMatchObject({ cost_month_final_day: 7 });
    expect(parsed('vultr')).toEqual({ base_url: 'https://api.vultr.com', cost_month_final_day: 3 });
    expect(rt.runDeps.sinks?.cost).toBeDefined();
    expect(rt.runDeps.secrets).toContain(SECRET);
  });

  it.each([
    [
      'a provider setting that is not valid',
      VALID.replace('tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47', 'tenant_id: contoso'),
      'connections[1].settings.tenant_id: must be a GUID',
    ],
    [
      'a setting of the wrong type',
      VALID.replace('resource_level_costs: true', 'resource_level_costs: "yes"'),
      'connections[0].settings.resource_level_costs:',
    ],
    [
      'an unknown provider id',
      VALID.replace('provider: vultr', 'provider: vulture'),
      'connections[3].provider: unknown provider "vulture"',
    ],
  ])('stops start-up naming the file, entry and field for %s', async (_name, yaml, message) => {
    const path = file('bad.yaml', yaml);
    const start = runtimeFor(path, {
      OPTIINFRA_EXTERNAL_ID_SECRET: SECRET,
      ACME_AZURE_SECRET: 's',
      ACME_VULTR_KEY: 'k',
    });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(`${path}: ${message}`);
  });

  it('without OPTIINFRA_EXTERNAL_ID_SECRET, a role connection is refused with what to set', async () => {
    const path = file('nosecret.yaml', VALID);
    await expect(runtimeFor(path, { ACME_AZURE_SECRET: 's', ACME_VULTR_KEY: 'k' })).rejects.toThrow(
      `${path}: connections[0].settings.external_id: external_id is required when role_arn is set (confused-deputy protection): set OPTIINFRA_EXTERNAL_ID_SECRET`,
    );
  });

  it('refuses a deployment secret too short to protect the ExternalIds', async () => {
    await expect(
      runtimeFor(file('short.yaml', VALID), {
        OPTIINFRA_EXTERNAL_ID_SECRET: 'short',
        ACME_AZURE_SECRET: 's',
        ACME_VULTR_KEY: 'k',
      }),
    ).rejects.toThrow('OPTIINFRA_EXTERNAL_ID_SECRET must be at least 32 characters');
  });
});
