import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { App, type FunctionProps, Function as SstFunction, Stack } from 'sst/constructs';
import { initProject } from 'sst/project.js';
import config from '../../sst.config';

/** CloudFormation template JSON: untyped by nature; assertions give it shape. */
// biome-ignore lint/suspicious/noExplicitAny: template JSON
export type Json = any;

/** A template resource. */
export type Resource = { Type: string; Properties: Record<string, Json> };

export const STACK_NAMES = ['Config', 'Storage', 'Collectors', 'Api'] as const;
export type StackName = (typeof STACK_NAMES)[number];

/** Deploy-time variables the stacks read; cleared unless a test sets them. */
const DEPLOY_ENV = [
  'OPTIINFRA_ALARM_EMAIL',
  'OPTIINFRA_CONNECTIONS_SOURCE',
  'OPTIINFRA_SECRETS',
  'OPTIINFRA_CUSTOMER_ROLE_ARNS',
  'LAMBDA_LOG_LEVEL',
] as const;

export interface SynthesizedApp {
  readonly app: App;
  readonly stacks: Record<StackName, Stack>;
  readonly templates: Record<StackName, Template>;
  /** Every SST Function in the app, with the props SST resolved (app defaults merged). */
  readonly functions: readonly SynthFunction[];
}

export interface SynthFunction {
  readonly fn: SstFunction;
  readonly id: string;
  readonly stack: StackName;
  readonly props: FunctionProps;
  /** Logical id of the AWS::Lambda::Function in its stack's template. */
  readonly logicalId: string;
  /** Logical id of its execution role. */
  readonly roleLogicalId: string;
}

/**
 * Synthesizes the real app (sst.config.ts: default function props and all four stacks) the
 * way `sst deploy` does, minus bundling: under NODE_ENV=test SST defers function builds
 * to App.finish(), which is not called, so functions carry placeholder code and the
 * assertions look at their resolved props for runtime and handler.
 */
export async function synthesize(
  opts: {
    mode?: 'deploy' | 'dev';
    stage?: string;
    env?: Partial<Record<(typeof DEPLOY_ENV)[number], string>>;
  } = {},
): Promise<SynthesizedApp> {
  const stage = opts.stage ?? 'test';
  await initProject({ stage });
  const saved = Object.fromEntries(DEPLOY_ENV.map((k) => [k, process.env[k]]));
  for (const k of DEPLOY_ENV) {
    const v = opts.env?.[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const app = new App({
      mode: opts.mode ?? 'deploy',
      stage,
      name: 'optiinfra',
      region: 'us-east-1',
      account: '123456789012',
    });
    await config.stacks(app);
    const stacks = {} as Record<StackName, Stack>;
    for (const name of STACK_NAMES) {
      const stack = app.node.tryFindChild(app.logicalPrefixedName(name));
      if (!(stack instanceof Stack)) throw new Error(`stack ${name} missing from the app`);
      stacks[name] = stack;
    }
    const templates = {} as Record<StackName, Template>;
    for (const name of STACK_NAMES) templates[name] = Template.fromStack(stacks[name]);
    const functions = app.node
      .findAll()
      .filter((c): c is SstFunction => c instanceof SstFunction)
      .map((fn) => {
        const stack = Stack.of(fn);
        return {
          fn,
          id: fn.node.id,
          stack: stackName(app, stack),
          props: (fn as unknown as { props: FunctionProps }).props,
          logicalId: stack.getLogicalId(fn.node.defaultChild as CfnElement),
          roleLogicalId: stack.getLogicalId(fn.role?.node.defaultChild as CfnElement),
        };
      });
    return { app, stacks, templates, functions };
  } finally {
    for (const k of DEPLOY_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

export interface PolicyStatementJson {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  Sid?: string;
}

export const actionsOf = (s: PolicyStatementJson): string[] => [s.Action ?? []].flat();

/** The statements of every IAM policy attached to a function's execution role. */
export function roleStatements(synth: SynthesizedApp, f: SynthFunction): PolicyStatementJson[] {
  const policies = synth.templates[f.stack].findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some(
        (r) => JSON.stringify(r) === JSON.stringify({ Ref: f.roleLogicalId }),
      ),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** Every policy statement anywhere in a template: IAM policies, roles, managed policies, resource policies. */
export function allStatements(
  template: Template,
): Array<{ resource: string; statement: PolicyStatementJson }> {
  const out: Array<{ resource: string; statement: PolicyStatementJson }> = [];
  const collect = (resource: string, doc: unknown) => {
    const statements = (doc as { Statement?: PolicyStatementJson[] } | undefined)?.Statement ?? [];
    for (const statement of statements) out.push({ resource, statement });
  };
  for (const [id, r] of Object.entries(
    template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>,
  )) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') collect(id, p.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') {
      for (const inline of (p.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? [])
        collect(id, inline.PolicyDocument);
    }
    if (['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::S3::BucketPolicy'].includes(r.Type))
      collect(id, p.PolicyDocument);
  }
  return out;
}

/** The template resource of one function. */
export function functionResource(synth: SynthesizedApp, f: SynthFunction) {
  return synth.templates[f.stack].toJSON().Resources[f.logicalId] as Resource;
}

export function findFunction(synth: SynthesizedApp, stack: StackName, id: string): SynthFunction {
  const f = synth.functions.find((x) => x.stack === stack && x.id === id);
  if (!f)
    throw new Error(
      `no function ${stack}/${id}; have ${synth.functions.map((x) => `${x.stack}/${x.id}`).join(', ')}`,
    );
  return f;
}

/** `test-optiinfra-Api` → `Api`. */
export function stackName(app: App, stack: { node: { id: string } }): StackName {
  const name = STACK_NAMES.find((n) => app.logicalPrefixedName(n) === stack.node.id);
  if (!name) throw new Error(`unexpected stack ${stack.node.id}`);
  return name;
}
