import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ApiRouteProps,
  dependsOn,
  type FunctionProps,
  Api as HttpApi,
  Function as SstFunction,
  type StackContext,
  use,
} from 'sst/constructs';
import { useProject } from 'sst/project.js';
import { ROUTES } from '../lib/api/routes';
import type { RouteSpec } from '../lib/http/types';
import { Collectors } from './Collectors';
import { Config } from './Config';
import { addConsole } from './Console';
import { shippedFilesProps } from './connections';
import { functionDefaults, LOG_RETENTION, RUNTIME_FILES } from './defaults';
import { collectorPermissions, connectionSecretsAccess, sendToQueue } from './permissions';
import { Storage } from './Storage';

/**
 * How long API Gateway reuses an authorizer decision for the same Authorization header.
 * It is also how long a revoked key keeps working: revocation latency = this TTL.
 */
export const AUTHORIZER_CACHE_TTL_SECONDS = 60;
/** API Gateway stops waiting for an integration at 30 s. */
export const MAX_ROUTE_TIMEOUT_SECONDS = 29;
export const DEFAULT_ROUTE_TIMEOUT_SECONDS = 20;
export const DEFAULT_ROUTE_MEMORY_MB = 1024;
/** Stage-wide limits: they bound what a flood of requests can cost in Lambda and ClickHouse. */
export const API_THROTTLE = { rate: 100, burst: 200 } as const;

const MIGRATIONS_COPY = { from: 'migrations', to: 'migrations' };

/** The authorizer's name in the Api construct (`auth: 'key'` routes use it). */
const KEY_AUTHORIZER = 'apiKey';

/** Routes that queue collections (and, with `async_mode: false`, run one in-process). */
export function isTriggerRoute(route: RouteSpec): boolean {
  return route.name.endsWith('trigger') || route.name.endsWith('trigger-collection');
}

/** The Lambda handler a route runs: functions/api/<name>.ts, export `handler`. */
export function routeHandler(route: RouteSpec): string {
  return `functions/api/${route.name}.handler`;
}

/**
 * Api: the HTTP API built from the route table (lib/api/routes). `auth: 'key'` routes go
 * through the Lambda authorizer (functions/authorizer.ts: Bearer key → customer id, admin
 * flag and key id in the request context); `auth: 'none'` routes are public. Also the
 * admin-key function, which mints the first admin key of a deployment (docs/DEPLOY.md).
 */
export function Api({ stack, app }: StackContext) {
  // Migrations run before this stack's functions are updated (and before the first
  // deploy's API exists at all).
  dependsOn(Storage);
  const config = use(Config);
  const { jobs } = use(Collectors);
  const connections = shippedFilesProps(
    { connections: config.connectionsFile, applications: config.applicationsFile },
    app.local,
  );

  const authorizer = new SstFunction(stack, 'Authorizer', {
    handler: 'functions/authorizer.handler',
    copyFiles: [...RUNTIME_FILES],
    description: 'HTTP API Lambda authorizer: Bearer API key -> customer',
    timeout: 10,
    bind: [...config.clickhouse],
  });

  const routes: Record<string, ApiRouteProps<typeof KEY_AUTHORIZER>> = {};
  for (const route of ROUTES) {
    routes[`${route.method} ${route.path}`] = {
      authorizer: route.auth === 'key' ? KEY_AUTHORIZER : 'none',
      function: routeFunction(route),
    };
  }

  function routeFunction(route: RouteSpec): FunctionProps {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(route.name)) {
      throw new Error(
        `Route ${route.method} ${route.path}: name "${route.name}" must be kebab-case (it names functions/api/<name>.ts)`,
      );
    }
    if (!existsSync(join(useProject().paths.root, `functions/api/${route.name}.ts`))) {
      throw new Error(`Route ${route.method} ${route.path}: functions/api/${route.name}.ts does not exist`);
    }
    const timeout = route.timeoutSeconds ?? DEFAULT_ROUTE_TIMEOUT_SECONDS;
    if (timeout > MAX_ROUTE_TIMEOUT_SECONDS) {
      throw new Error(
        `Route ${route.method} ${route.path}: timeoutSeconds ${timeout} exceeds ${MAX_ROUTE_TIMEOUT_SECONDS} (API Gateway gives up at 30 s)`,
      );
    }
    const trigger = isTriggerRoute(route);
    return {
      handler: routeHandler(route),
      description: `${route.method} ${route.path}`,
      timeout,
      memorySize: route.memoryMb ?? DEFAULT_ROUTE_MEMORY_MB,
      // The docs page reads swagger-ui's files from the package at run time.
      // SST merges function props shallowly: keep the defaults' format and externals.
      ...(route.produces?.includes('text/html')
        ? { nodejs: { ...functionDefaults(process.env).nodejs, install: ['swagger-ui-dist'] } }
        : {}),
      bind: [...config.clickhouse, ...config.connectionSecrets],
      ...connections,
      // The health route compares applied migrations with the files; lib/clickhouse/migrate.ts
      // finds them two levels above the bundled handler, which is /var/task/migrations.
      copyFiles: [MIGRATIONS_COPY, ...(connections.copyFiles ?? [])],
      ...(trigger
        ? {
            permissions: [sendToQueue(jobs.queueArn), ...collectorPermissions(stack, process.env)],
            environment: { ...connections.environment, COLLECTION_QUEUE_URL: jobs.queueUrl },
          }
        : {}),
      ...withConnectionSecrets(route, trigger),
    };
  }

  /** Routes that read connections' secrets (connections, triggers, collectors-list) get the prefix grant. */
  function withConnectionSecrets(route: RouteSpec, trigger: boolean): Partial<FunctionProps> {
    if (!trigger && !route.name.startsWith('connections-') && route.name !== 'collectors-list') return {};
    const access = connectionSecretsAccess(stack);
    return {
      permissions: [
        ...(trigger ? [sendToQueue(jobs.queueArn), ...collectorPermissions(stack, process.env)] : []),
        ...access.permissions,
      ],
      environment: {
        ...connections.environment,
        ...(trigger ? { COLLECTION_QUEUE_URL: jobs.queueUrl } : {}),
        ...access.environment,
      },
    };
  }

  const api = new HttpApi(stack, 'Api', {
    authorizers: {
      [KEY_AUTHORIZER]: {
        type: 'lambda',
        function: authorizer,
        responseTypes: ['simple'],
        identitySource: ['$request.header.Authorization'],
        resultsCacheTtl: `${AUTHORIZER_CACHE_TTL_SECONDS} seconds`,
      },
    },
    defaults: { authorizer: 'none', throttle: { ...API_THROTTLE } },
    // Origins: exactly the console's (stacks/Console.ts sets them once the site exists).
    cors: {
      allowOrigins: [],
      allowHeaders: ['authorization', 'content-type'],
      allowMethods: ['ANY'],
    },
    accessLog: { retention: LOG_RETENTION },
    routes,
  });

  const adminKey = new SstFunction(stack, 'AdminKey', {
    handler: 'functions/admin-key.handler',
    copyFiles: [...RUNTIME_FILES],
    description: 'Mints an admin API key; invoke directly (aws lambda invoke), never routed',
    timeout: 60,
    bind: [...config.clickhouse],
  });

  const consoleSite = addConsole(stack, api);

  stack.addOutputs({
    ApiUrl: api.url,
    AdminKeyFunction: adminKey.functionName,
  });
  return { api, authorizer, adminKey, consoleSite };
}
