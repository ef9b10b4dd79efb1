import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICKHOUSE_SECRETS } from '../../stacks/Config';
import { listedSecretNames, readApplicationsFile, readConnectionsFile } from '../../stacks/connections';
import { functionDefaults } from '../../stacks/defaults';
import { functionResource, type SynthesizedApp, synthesize } from './synth';

const ROOT = resolve(import.meta.dirname, '../..');
// Inside the project (copyFiles sources are root-relative) but in the git-ignored .sst folder.
const DIR = `.sst/test-connections-${process.pid}`;

const CONNECTIONS = `
connections:
  - customer_id: acme
    provider: vultr
    secrets: { api_key: env:ACME_VULTR_API_KEY }
  - customer_id: globex
    provider: gcp
    settings: { project_ids: [globex-prod], billing_export_table: globex-prod.billing.gcp_billing_export_v1_0123 }
    secrets: { service_account_key: env:GCP_SERVICE_ACCOUNT_KEY }
`;

function writeFixture(name: string, text: string): string {
  mkdirSync(join(ROOT, DIR), { recursive: true });
  writeFileSync(join(ROOT, DIR, name), text);
  return `${DIR}/${name}`;
}

/** Functions that load connections: the collectors and every route. */
const loadsConnections = (f: { stack: string; id: string }) =>
  (f.stack === 'Collectors' && ['CollectWorker', 'CollectDispatch'].includes(f.id)) ||
  (f.stack === 'Api' && f.id.startsWith('Lambda_'));

let synth: SynthesizedApp;
let source: string;
beforeAll(async () => {
  source = writeFixture('connections.yaml', CONNECTIONS);
  synth = await synthesize({
    env: { OPTIINFRA_CONNECTIONS_SOURCE: source, OPTIINFRA_SECRETS: 'ACME_PROMETHEUS_TOKEN' },
  });
});
afterAll(() => rmSync(join(ROOT, DIR), { recursive: true, force: true }));

describe('Config: a connections file at deploy', () => {
  it('is copied into the collector and API functions, which are told where it is', () => {
    const loaders = synth.functions.filter(loadsConnections);
    expect(loaders.length).toBeGreaterThanOrEqual(4);
    for (const f of loaders) {
      expect(f.props.copyFiles, f.id).toContainEqual({ from: source, to: 'optiinfra.connections.yaml' });
      const env = functionResource(synth, f).Properties.Environment.Variables;
      expect(env.OPTIINFRA_CONNECTIONS_FILE, f.id).toBe('/var/task/optiinfra.connections.yaml');
    }
  });

  it('binds the secrets it names, and those in OPTIINFRA_SECRETS, to exactly those functions', () => {
    const names = ['ACME_VULTR_API_KEY', 'GCP_SERVICE_ACCOUNT_KEY', 'ACME_PROMETHEUS_TOKEN'];
    const declared = synth.stacks.Config.node.children.map((c) => c.node.id);
    expect(declared).toEqual(expect.arrayContaining(names));
    for (const f of synth.functions) {
      const env = functionResource(synth, f).Properties.Environment.Variables;
      for (const name of names) {
        expect(env[`SST_Secret_value_${name}`], `${f.stack}/${f.id} ${name}`).toBe(
          loadsConnections(f) ? '__FETCH_FROM_SSM__' : undefined,
        );
      }
      for (const name of CLICKHOUSE_SECRETS)
        expect(env[`SST_Secret_value_${name}`], `${f.id} ${name}`).toBe('__FETCH_FROM_SSM__');
      if (!loadsConnections(f)) {
        expect(f.props.copyFiles ?? [], f.id).not.toContainEqual(
          expect.objectContaining({ to: 'optiinfra.connections.yaml' }),
        );
        expect(env.OPTIINFRA_CONNECTIONS_FILE, f.id).toBeUndefined();
      }
    }
  });

  it('points functions at the original file under sst dev', async () => {
    const dev = await synthesize({
      mode: 'dev',
      stage: 'devstage',
      env: { OPTIINFRA_CONNECTIONS_SOURCE: source },
    });
    const worker = dev.functions.find((f) => f.id === 'CollectWorker');
    expect(
      worker && functionResource(dev, worker).Properties.Environment.Variables.OPTIINFRA_CONNECTIONS_FILE,
    ).toBe(join(ROOT, source));
  });
});

describe('Config: bad deploy-time input fails the deploy with a clear message', () => {
  it.each([
    [
      'a file that is not valid',
      'connections:\n  - customer_id: "bad id!"\n    provider: aws\n',
      /connections\.0\.customer_id/,
    ],
    [
      'a secret that is not an env: reference',
      'connections:\n  - customer_id: acme\n    provider: aws\n    secrets: { k: plain-text }\n',
      /must be "env:NAME"/,
    ],
    ['unparseable YAML', 'connections: [\n', /cannot parse connections file/],
    [
      'a provider setting its schema rejects (the start-up check, run at deploy)',
      'connections:\n  - customer_id: acme\n    provider: azure\n    settings: { tenant_id: nope, client_id: nope, subscription_ids: [] }\n',
      /bad\.yaml: connections\[0\]\.settings\.tenant_id: must be a GUID/,
    ],
  ])('%s', (_what, text, message) => {
    const file = writeFixture('bad.yaml', text);
    expect(() => readConnectionsFile(ROOT, { OPTIINFRA_CONNECTIONS_SOURCE: file })).toThrow(message);
  });

  it('a configured source that does not exist, or lies outside the project', () => {
    expect(() => readConnectionsFile(ROOT, { OPTIINFRA_CONNECTIONS_SOURCE: 'nope.yaml' })).toThrow(
      /nope\.yaml does not exist/,
    );
    expect(() => readConnectionsFile(ROOT, { OPTIINFRA_CONNECTIONS_SOURCE: '/etc/passwd' })).toThrow(
      /inside the project/,
    );
    expect(() => readConnectionsFile(ROOT, { OPTIINFRA_CONNECTIONS_SOURCE: '../x.yaml' })).toThrow(
      /inside the project/,
    );
  });

  it('a malformed OPTIINFRA_SECRETS entry', () => {
    expect(listedSecretNames({ OPTIINFRA_SECRETS: ' B_KEY, A_KEY ,B_KEY' })).toEqual(['A_KEY', 'B_KEY']);
    expect(() => listedSecretNames({ OPTIINFRA_SECRETS: 'GOOD,bad-name' })).toThrow(
      /"bad-name" is not a valid secret name/,
    );
  });

  it('an AWS role connection relying on the generated ExternalId binds OPTIINFRA_EXTERNAL_ID_SECRET', () => {
    const file = writeFixture(
      'role.yaml',
      'connections:\n  - customer_id: acme\n    provider: aws\n    settings: { role_arn: "arn:aws:iam::123456789012:role/OptiInfraReader" }\n',
    );
    expect(readConnectionsFile(ROOT, { OPTIINFRA_CONNECTIONS_SOURCE: file })?.secretNames).toEqual([
      'OPTIINFRA_EXTERNAL_ID_SECRET',
    ]);
  });

  it('no file and no setting: nothing is copied', () => {
    expect(readConnectionsFile(join(ROOT, DIR, 'empty-root'), {})).toBeUndefined();
  });
});

describe('Config: the applications file and tuning at deploy', () => {
  it('ships the applications file and binds the probe keys it names', () => {
    const file = writeFixture(
      'apps.yaml',
      [
        'applications:',
        '  - customer_id: acme',
        '    application: support-bot',
        '    provider: runpod',
        '    probe:',
        '      base_url: https://llm.acme.example/v1',
        '      model: llama-3.1-8b',
        '      api_key: env:ACME_LLM_KEY',
        '      prompts: [{ id: refund, prompt: "What is your refund policy?" }]',
        '',
      ].join('\n'),
    );
    const bundle = readApplicationsFile(ROOT, { OPTIINFRA_APPLICATIONS_SOURCE: file });
    expect(bundle).toMatchObject({
      from: file,
      bundledName: 'optiinfra.applications.yaml',
      secretNames: ['ACME_LLM_KEY'],
    });
    const bad = writeFixture(
      'apps-bad.yaml',
      'applications:\n  - customer_id: acme\n    application: x\n    provider: nimbus\n',
    );
    expect(() => readApplicationsFile(ROOT, { OPTIINFRA_APPLICATIONS_SOURCE: bad })).toThrow(
      /apps-bad\.yaml: applications\.0\.provider/,
    );
  });

  it('passes tuning set at deploy to every function, and refuses a bad value at deploy', () => {
    const env = functionDefaults({ GROQ_MODEL: 'openai/gpt-oss-20b', MAX_BACKFILL_HOURS: '48' }).environment;
    expect(env).toMatchObject({
      GROQ_MODEL: 'openai/gpt-oss-20b',
      MAX_BACKFILL_HOURS: '48',
      LOG_LEVEL: 'INFO',
    });
    expect(env).not.toHaveProperty('GROQ_API_KEY');
    expect(() => functionDefaults({ MAX_BACKFILL_HOURS: 'a week' })).toThrow(
      /Deploy-time tuning: .*MAX_BACKFILL_HOURS/,
    );
  });
});
