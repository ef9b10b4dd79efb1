import type { AddressInfo } from 'node:net';
import { HANDLERS } from '../../lib/api/handlers';
import { ROUTES } from '../../lib/api/routes';
import { createApiKey } from '../../lib/auth/keys';
import type { Connection } from '../../lib/collector/types';
import { parseConfig } from '../../lib/config/schema';
import { createInProcessJobQueue } from '../../lib/local/job-queue';
import { createLocalServer } from '../../lib/local/server';
import type { WebBuild } from '../../lib/local/web';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../lib/runtime';
import { silentLogger, testStore } from './store';

/** Response JSON of any route: tests assert its shape. */
// biome-ignore lint/suspicious/noExplicitAny: the shape differs per route and is what the tests check
type ResponseJson = any;

export interface LocalApi {
  url: string;
  runtime: Runtime;
  queue: ReturnType<typeof createInProcessJobQueue>;
  /** Creates a key and returns it (admin when customerId is null). */
  key(customerId: string | null): Promise<string>;
  request(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; rawBody?: string },
  ): Promise<{ status: number; body: ResponseJson; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * The product's HTTP surface as `npm start` serves it (route table, authorizer, handlers,
 * in-process queue), on the test's embedded ClickHouse and an ephemeral port.
 */
export async function startLocalApi(
  opts: { env?: Record<string, string>; connections?: Connection[]; web?: WebBuild } & Partial<
    Pick<RuntimeOptions, 'registry'>
  > = {},
): Promise<LocalApi> {
  const env = { LOG_LEVEL: 'SILENT', ...opts.env };
  const config = parseConfig(env);
  let runtime: Runtime | undefined;
  const queue = createInProcessJobQueue({
    runDeps: () => (runtime as Runtime).runDeps,
    concurrency: 2,
    logger: silentLogger(),
  });
  runtime = await createRuntime(config, {
    mode: 'local',
    env,
    store: await testStore(),
    queue,
    logger: silentLogger(),
    ...(opts.connections ? { connections: opts.connections } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  const server = createLocalServer({
    runtime,
    routes: ROUTES,
    handlers: HANDLERS,
    ...(opts.web ? { web: opts.web } : {}),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rt = runtime;
  return {
    url,
    runtime: rt,
    queue,
    key: async (customerId) =>
      (await createApiKey(rt.writer, customerId === null ? { admin: true } : { customerId })).key,
    async request(method, path, o = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(o.key ? { authorization: `Bearer ${o.key}` } : {}),
          ...(o.body !== undefined || o.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(o.rawBody !== undefined
          ? { body: o.rawBody }
          : o.body !== undefined
            ? { body: JSON.stringify(o.body) }
            : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body, headers: res.headers };
    },
    async close() {
      await queue.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
