import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATA_DIR } from '../helpers/store';

/**
 * In AWS, a connection's `env:NAME` secret reaches the runtime as an SST secret bound to the
 * function (stacks/Config.ts binds every name the connections file uses). SST marks each
 * bound secret with SST_Secret_value_<NAME>; a value other than its SSM placeholder is used
 * as is by sst/node/config, which lets this test run the real path without SSM.
 */
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'conn-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    'connections:\n  - customer_id: secret-co\n    provider: vultr\n    secrets: { api_key: env:SECRET_CO_VULTR_API_KEY }\n',
  );
  Object.assign(process.env, {
    SST_APP: 'optiinfra',
    SST_STAGE: 'test',
    SST_Secret_value_SECRET_CO_VULTR_API_KEY: 'vultr-key-from-ssm',
    OPTIINFRA_DATA_DIR: TEST_DATA_DIR,
    CLICKHOUSE_DATABASE: `rs_${process.pid}`,
    OPTIINFRA_CONNECTIONS_FILE: file,
    LOG_LEVEL: 'SILENT',
  });
  delete process.env.SECRET_CO_VULTR_API_KEY;
});

describe('functions/_runtime.ts', () => {
  it('resolves a connection secret bound under a name outside CONFIG_KEYS', async () => {
    const { CONFIG_KEYS, getRuntime } = await import('../../functions/_runtime');
    expect(CONFIG_KEYS as readonly string[]).not.toContain('SECRET_CO_VULTR_API_KEY');
    const { runMigrations } = await import('../../lib/clickhouse/migrate');
    const rt = await getRuntime();
    await runMigrations(rt.store);
    const [connection] = await rt.connections.list({ customerId: 'secret-co' });
    expect(connection).toMatchObject({ provider: 'vultr', secrets: { api_key: 'vultr-key-from-ssm' } });
    expect(rt.env.SECRET_CO_VULTR_API_KEY).toBe('vultr-key-from-ssm');
    await rt.store.close();
  });
});
