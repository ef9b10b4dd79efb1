import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/api/routes';
import type { RouteSpec } from '../../lib/http/types';
import {
  API_THROTTLE,
  AUTHORIZER_CACHE_TTL_SECONDS,
  DEFAULT_ROUTE_MEMORY_MB,
  DEFAULT_ROUTE_TIMEOUT_SECONDS,
  isTriggerRoute,
} from '../../stacks/Api';
import {
  actionsOf,
  findFunction,
  type Json,
  type Resource,
  roleStatements,
  type SynthesizedApp,
  type SynthFunction,
  synthesize,
} from './synth';

const ROOT = resolve(import.meta.dirname, '../..');

let synth: SynthesizedApp;
let resources: Record<string, Resource>;
beforeAll(async () => {
  synth = await synthesize();
  resources = synth.templates.Api.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const routeKey = (r: RouteSpec) => `${r.method} ${r.path}`;

/** Route resource → integration → Lambda → the SST Function behind it. */
function routeFunction(route: RouteSpec): { route: Record<string, Json>; fn: SynthFunction } {
  const found = ofType('AWS::ApiGatewayV2::Route').filter(
    ([, r]) => r.Properties.RouteKey === routeKey(route),
  );
  if (found.length !== 1) throw new Error(`${routeKey(route)}: ${found.length} routes`);
  const props = (found[0] as [string, Resource])[1].Properties;
  const integrationId = props.Target['Fn::Join'][1][1].Ref as string;
  const integration = resources[integrationId] as Resource;
  expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  const lambdaId = integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string;
  const fn = synth.functions.find((f) => f.stack === 'Api' && f.logicalId === lambdaId);
  if (!fn) throw new Error(`${routeKey(route)}: integration targets ${lambdaId}, not an SST function`);
  return { route: props, fn };
}

function authorizerId(): string {
  const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
  expect(authorizers).toHaveLength(1);
  return (authorizers[0] as [string, Resource])[0];
}

describe('Api: routes', () => {
  it('has exactly one API Gateway route per route-table entry', () => {
    expect(ROUTES.length).toBeGreaterThan(0);
    const keys = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(keys).toEqual(ROUTES.map(routeKey).sort());
  });

  it('deploys the API description and its docs page as public routes', () => {
    for (const key of ['GET /openapi.json', 'GET /docs']) {
      const spec = ROUTES.find((r) => routeKey(r) === key);
      expect(spec?.auth, key).toBe('none');
      const { route, fn } = routeFunction(spec as RouteSpec);
      expect(route.AuthorizationType).toBe('NONE');
      if (key === 'GET /docs') expect(fn.props.nodejs?.install).toEqual(['swagger-ui-dist']);
    }
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))(
    '%s: authorization and handler as the table says',
    async (_key, spec) => {
      const { route, fn } = routeFunction(spec);
      if (spec.auth === 'key') {
        expect(route.AuthorizationType).toBe('CUSTOM');
        expect(route.AuthorizerId).toEqual({ Ref: authorizerId() });
      } else {
        expect(route.AuthorizationType).toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      }
      expect(fn.props.handler).toBe(`functions/api/${spec.name}.handler`);
      const file = resolve(ROOT, `functions/api/${spec.name}.ts`);
      expect(existsSync(file), file).toBe(true);
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      expect(typeof mod.handler, `${file} exports handler`).toBe('function');
      const lambda = resources[fn.logicalId] as Resource;
      expect(lambda.Properties.Timeout).toBe(spec.timeoutSeconds ?? DEFAULT_ROUTE_TIMEOUT_SECONDS);
      expect(lambda.Properties.MemorySize).toBe(spec.memoryMb ?? DEFAULT_ROUTE_MEMORY_MB);
      expect(lambda.Properties.Timeout).toBeLessThan(30);
      // functions/api/<name>.mjs finds migrations at /var/task/migrations (health reports pending ones).
      expect(fn.props.copyFiles).toContainEqual({ from: 'migrations', to: 'migrations' });
    },
  );

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))(
    '%s: queue access only for trigger routes',
    (_key, spec) => {
      const { fn } = routeFunction(spec);
      const statements = roleStatements(synth, fn);
      const sqsActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('sqs:'));
      const env = (resources[fn.logicalId] as Resource).Properties.Environment.Variables;
      if (isTriggerRoute(spec)) {
        const queueArn = statements.find((s) => actionsOf(s).includes('sqs:SendMessage'))?.Resource;
        expect(sqsActions).toEqual(['sqs:SendMessage']);
        expect(JSON.stringify(queueArn)).toMatch(/CollectionJobsQueue/);
        expect(JSON.stringify(env.COLLECTION_QUEUE_URL)).toMatch(/CollectionJobsQueue/);
        // async_mode=false runs the job in this function: it needs what the worker needs.
        expect(statements.flatMap(actionsOf)).toEqual(
          expect.arrayContaining(['ce:GetCostAndUsage', 'sts:AssumeRole']),
        );
      } else {
        expect(sqsActions).toEqual([]);
        expect(env.COLLECTION_QUEUE_URL).toBeUndefined();
        expect(statements.flatMap(actionsOf).filter((a) => /^(ce|sts|ec2):/.test(a))).toEqual([]);
      }
    },
  );

  it('recognises trigger routes by name', () => {
    const spec = (name: string): RouteSpec => ({ method: 'POST', path: '/x', name, auth: 'key' });
    expect(isTriggerRoute(spec('collect-trigger'))).toBe(true);
    expect(isTriggerRoute(spec('costs-trigger-collection'))).toBe(true);
    expect(isTriggerRoute(spec('keys-create'))).toBe(false);
    expect(isTriggerRoute(spec('trigger-history'))).toBe(false);
  });
});

describe('Api: authorizer', () => {
  it('is a Lambda authorizer with simple responses on the Authorization header and a short cache', () => {
    const authorizer = findFunction(synth, 'Api', 'Authorizer');
    expect(authorizer.props.handler).toBe('functions/authorizer.handler');
    const props = (resources[authorizerId()] as Resource).Properties;
    expect(props).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_TTL_SECONDS,
    });
    expect(JSON.stringify(props.AuthorizerUri)).toContain(authorizer.logicalId);
    expect(AUTHORIZER_CACHE_TTL_SECONDS).toBeLessThanOrEqual(300);
    const invoke = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        p.Properties.Principal === 'apigateway.amazonaws.com' &&
        JSON.stringify(p.Properties.FunctionName).includes(authorizer.logicalId),
    );
    expect(invoke).toHaveLength(1);
  });
});

describe('Api: stage and outputs', () => {
  it('throttles the stage and keeps an access log', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage').map(([, s]) => s.Properties);
    expect(stages).toHaveLength(1);
    expect(stages[0]?.DefaultRouteSettings).toEqual({
      ThrottlingBurstLimit: API_THROTTLE.burst,
      ThrottlingRateLimit: API_THROTTLE.rate,
    });
    expect(stages[0]?.AccessLogSettings?.DestinationArn).toBeDefined();
  });

  it('outputs the API URL and the admin-key function', () => {
    const outputs = synth.templates.Api.toJSON().Outputs;
    expect(outputs.ApiUrl.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Api/), 'ApiEndpoint'] });
    const adminKey = findFunction(synth, 'Api', 'AdminKey');
    expect(outputs.AdminKeyFunction.Value).toEqual({ Ref: adminKey.logicalId });
    expect(adminKey.props.handler).toBe('functions/admin-key.handler');
  });
});

describe('Api: an unwired route', () => {
  it('fails the deploy, naming the missing handler file', async () => {
    const routes = ROUTES as RouteSpec[];
    routes.push({ method: 'GET', path: '/api/v2/nowhere', name: 'no-such-handler', auth: 'key' });
    try {
      await expect(synthesize()).rejects.toThrow('functions/api/no-such-handler.ts does not exist');
    } finally {
      routes.pop();
    }
  });

  it('fails the deploy when a route asks for more time than API Gateway waits', async () => {
    const routes = ROUTES as RouteSpec[];
    routes.push({ method: 'GET', path: '/api/v2/slow', name: 'health', auth: 'none', timeoutSeconds: 60 });
    try {
      await expect(synthesize()).rejects.toThrow(/timeoutSeconds 60 exceeds 29/);
    } finally {
      routes.pop();
    }
  });
});
