import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../functions/_runtime';
import { CLICKHOUSE_SECRETS, PROVIDER_SECRETS } from '../../stacks/Config';
import { functionDefaults, LAMBDA_BUNDLE_EXTERNALS } from '../../stacks/defaults';
import { MIGRATE_TIMEOUT_SECONDS } from '../../stacks/Storage';
import {
  actionsOf,
  allStatements,
  findFunction,
  functionResource,
  STACK_NAMES,
  type StackName,
  type SynthesizedApp,
  stackName,
  synthesize,
} from './synth';

const ROOT = resolve(import.meta.dirname, '../..');

/** `functions/api/health.handler` → file and export. */
function splitHandler(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  return { file: `${handler.slice(0, dot)}.ts`, exportName: handler.slice(dot + 1) };
}

let synth: SynthesizedApp;
beforeAll(async () => {
  synth = await synthesize();
});

describe('the app', () => {
  it('has the four stacks, and migrations deploy before collectors and the API', () => {
    expect(Object.keys(synth.stacks)).toEqual([...STACK_NAMES]);
    const dependencies = (name: StackName) =>
      synth.stacks[name].dependencies.map((s) => stackName(synth.app, s));
    expect(dependencies('Collectors')).toContain('Storage');
    expect(dependencies('Api')).toContain('Storage');
    expect(dependencies('Storage').filter((n) => n === 'Collectors' || n === 'Api')).toEqual([]);
  });

  it('runs every function on nodejs22.x, arm64, ESM, with chdb kept out of the bundle', () => {
    expect(synth.functions.length).toBeGreaterThanOrEqual(6);
    for (const f of synth.functions) {
      const where = `${f.stack}/${f.id}`;
      expect(f.props.runtime, where).toBe('nodejs22.x');
      expect(f.props.architecture, where).toBe('arm_64');
      expect(f.props.nodejs?.format, where).toBe('esm');
      expect(f.props.nodejs?.esbuild?.external, where).toEqual(expect.arrayContaining(['chdb', '@chdb/*']));
      expect(f.props.logRetention, where).toBe('one_month');
    }
  });

  it('ships the provider catalog and the judge calibration set with every function (each builds the full runtime)', () => {
    for (const f of synth.functions) {
      expect(f.props.copyFiles ?? [], `${f.stack}/${f.id}`).toContainEqual({
        from: 'providers.yaml',
        to: 'providers.yaml',
      });
      expect(f.props.copyFiles ?? [], `${f.stack}/${f.id}`).toContainEqual({
        from: 'data/judge-calibration.jsonl',
        to: 'data/judge-calibration.jsonl',
      });
    }
  });

  it('points every function at a handler file that exists and exports that function', async () => {
    for (const f of synth.functions) {
      const { file, exportName } = splitHandler(f.props.handler as string);
      expect(existsSync(resolve(ROOT, file)), `${f.stack}/${f.id}: ${file}`).toBe(true);
      // Functions build their runtime on first invocation, so importing one is side-effect free.
      const mod = (await import(pathToFileURL(resolve(ROOT, file)).href)) as Record<string, unknown>;
      expect(typeof mod[exportName], `${f.stack}/${f.id}: ${file} exports ${exportName}`).toBe('function');
    }
  });

  it('grants no IAM action with a wildcard, in any stack', () => {
    let allows = 0;
    for (const name of STACK_NAMES) {
      for (const { resource, statement } of allStatements(synth.templates[name])) {
        expect(statement.NotAction, `${name}/${resource}`).toBeUndefined();
        if (statement.Effect !== 'Allow') continue;
        // The console's StaticSite (S3 + CloudFront) gets its bucket policy and deployment
        // role from SST/CDK, scoped to the site's own bucket (s3:GetBucket*, s3:List* …).
        if (name === 'Api' && /^Console/.test(resource)) continue;
        allows++;
        for (const action of actionsOf(statement)) {
          expect(action, `${name}/${resource} allows ${action}`).not.toContain('*');
        }
      }
    }
    expect(allows).toBeGreaterThan(20);
  });
});

describe('Config', () => {
  it('declares every secret functions/_runtime.ts knows, ClickHouse included', () => {
    expect([...CLICKHOUSE_SECRETS, ...PROVIDER_SECRETS].sort()).toEqual([...CONFIG_KEYS].sort());
    const declared = synth.stacks.Config.node.children.map((c) => c.node.id);
    expect(declared).toEqual(expect.arrayContaining([...CONFIG_KEYS]));
  });

  it('binds the ClickHouse secrets to every function and provider secrets to none by default', () => {
    for (const f of synth.functions) {
      const env = functionResource(synth, f).Properties.Environment.Variables as Record<string, unknown>;
      for (const name of CLICKHOUSE_SECRETS)
        expect(env[`SST_Secret_value_${name}`], `${f.id} ${name}`).toBe('__FETCH_FROM_SSM__');
      for (const name of PROVIDER_SECRETS)
        expect(env[`SST_Secret_value_${name}`], `${f.id} ${name}`).toBeUndefined();
      expect(env.OPTIINFRA_CONNECTIONS_FILE, f.id).toBeUndefined();
    }
  });
});

describe('Storage', () => {
  it('runs the migrate function on create and on every update, with the migrations copied in', () => {
    const scripts = synth.templates.Storage.findResources('Custom::SSTScript');
    expect(Object.keys(scripts)).toHaveLength(1);
    const script = Object.values(scripts)[0]?.Properties;
    const migrate = findFunction(synth, 'Storage', 'Migrate');
    expect(script.UserCreateFunction).toEqual({ Ref: migrate.logicalId });
    expect(script.UserUpdateFunction).toEqual({ Ref: migrate.logicalId });
    expect(script.UserDeleteFunction).toBeUndefined();
    // The version changes on each synth, which is what makes onUpdate run on every deploy.
    expect(script.Version).toMatch(/^\d{13}$/);
    expect(migrate.props.handler).toBe('functions/migrate.handler');
    expect(migrate.props.copyFiles).toEqual([
      { from: 'migrations', to: 'migrations' },
      { from: 'providers.yaml', to: 'providers.yaml' },
      { from: 'data/judge-calibration.jsonl', to: 'data/judge-calibration.jsonl' },
    ]);
    expect(existsSync(resolve(ROOT, 'migrations'))).toBe(true);
    expect(functionResource(synth, migrate).Properties.Timeout).toBe(MIGRATE_TIMEOUT_SECONDS);
  });
});

describe('Lambda bundles', () => {
  it('default to the chdb externals', () => {
    expect(functionDefaults({}).nodejs?.esbuild?.external).toEqual([...LAMBDA_BUNDLE_EXTERNALS]);
  });

  it('log at LAMBDA_LOG_LEVEL (INFO by default), never at a local LOG_LEVEL', () => {
    expect(functionDefaults({ LOG_LEVEL: 'DEBUG' }).environment?.LOG_LEVEL).toBe('INFO');
    expect(functionDefaults({ LAMBDA_LOG_LEVEL: 'warn' }).environment?.LOG_LEVEL).toBe('WARN');
    expect(() => functionDefaults({ LAMBDA_LOG_LEVEL: 'LOUD' })).toThrow(/LAMBDA_LOG_LEVEL must be one of/);
    for (const f of synth.functions) {
      expect(functionResource(synth, f).Properties.Environment.Variables.LOG_LEVEL, f.id).toBe('INFO');
    }
  });

  it('contain no chdb: every function reaches it only through a dynamic import left external', async () => {
    // The bundler SST uses, with the options SST passes for ESM functions.
    const entryPoints = [
      ...new Set(synth.functions.map((f) => splitHandler(f.props.handler as string).file)),
    ];
    const defaults = functionDefaults({});
    const result = await esbuild.build({
      entryPoints,
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'esnext',
      mainFields: ['module', 'main'],
      external: ['sharp', 'pg-native', ...(defaults.nodejs?.esbuild?.external ?? [])],
      // One pass with shared chunks: the same modules are included as in per-function builds.
      splitting: true,
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const bundled = Object.keys(result.metafile.inputs).filter((p) =>
      /(^|\/)node_modules\/(chdb|@chdb)\//.test(p),
    );
    expect(bundled).toEqual([]);
    const chdbImports = Object.values(result.metafile.outputs).flatMap((o) =>
      o.imports.filter((i) => /^(chdb|@chdb)(\/|$)/.test(i.path)),
    );
    // The embedded transport is reachable from the functions: the import exists, and it is dynamic.
    expect(chdbImports.length).toBeGreaterThan(0);
    for (const i of chdbImports) expect(i, i.path).toMatchObject({ kind: 'dynamic-import', external: true });
    // Bundles every function with esbuild: tens of seconds on a busy 2-core machine.
  }, 120_000);

  it('would contain chdb without the externals (the check above can fail)', async () => {
    const result = await esbuild.build({
      entryPoints: ['lib/clickhouse/embedded.ts'],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs).some((p) => /node_modules\/chdb\//.test(p))).toBe(true);
  });
});
