import { type Store, createStore } from './clickhouse/client';
import { type Writer, createWriter } from './clickhouse/writer';
import type { AppConfig } from './config/schema';
import type { JobQueue } from './collector/queue';
import type { RunDeps } from './collector/run';
import { createSqsJobQueue } from './collector/sqs-queue';
import type { Connection, DataSink, DataType } from './collector/types';
import { loadConnectionsFile } from './connections/file';
import { type ConnectionSource, combineSources, databaseConnections, staticConnections } from './connections/source';
import { ConfigError } from './errors';
import { createLogger, type Logger } from './logger';
import { createRegistry, type ProviderRegistry } from './providers/registry';
import { createResourceSink } from './resources/sink';

/** Everything a handler, worker or the local server needs, built once per process. */
export interface Runtime {
  readonly config: AppConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly store: Store;
  readonly writer: Writer;
  readonly registry: ProviderRegistry;
  readonly connections: ConnectionSource;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly runDeps: RunDeps;
  readonly mode: 'lambda' | 'local';
}

export interface RuntimeOptions {
  mode: 'lambda' | 'local';
  env: Record<string, string | undefined>;
  queue?: JobQueue;
  store?: Store;
  logger?: Logger;
  registry?: ProviderRegistry;
  /** Connections besides the config file and the database (tests, built-ins). */
  connections?: readonly Connection[];
  sinks?: Partial<Record<DataType, DataSink>>;
}

/** The `local` provider's built-in connection, for `npm start`. */
export function builtinLocalConnection(config: AppConfig): Connection {
  return {
    id: 'local',
    customerId: config.defaultCustomerId,
    provider: 'local',
    enabled: true,
    settings: { ...(config.local.hourlyRate ? { hourly_rate: config.local.hourlyRate } : {}), currency: config.local.currency },
    secrets: {},
    source: 'builtin',
  };
}

/**
 * Composition root helper: builds the store, writer, registry, connections and queue from
 * config. Fails loudly (ConfigError) on a bad connections file.
 */
export async function createRuntime(config: AppConfig, opts: RuntimeOptions): Promise<Runtime> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const store =
    opts.store ??
    (await createStore({
      url: config.clickhouse.url,
      user: config.clickhouse.user,
      password: config.clickhouse.password,
      database: config.clickhouse.database,
      dataDir: config.dataDir,
      requestTimeoutMs: config.clickhouse.requestTimeoutMs,
      idleSocketTtlMs: config.clickhouse.idleSocketTtlMs,
    }));
  const writer = createWriter(store);
  const registry = opts.registry ?? createRegistry();
  const sources: ConnectionSource[] = [];
  const builtins: Connection[] = [...(opts.connections ?? [])];
  if (opts.mode === 'local') builtins.unshift(builtinLocalConnection(config));
  sources.push(staticConnections(builtins));
  if (config.connectionsFile) sources.push(staticConnections(loadConnectionsFile(config.connectionsFile, opts.env)));
  sources.push(databaseConnections(store, opts.env));
  const connections = combineSources(...sources);
  const queue: JobQueue =
    opts.queue ??
    (config.queueUrl
      ? createSqsJobQueue(config.queueUrl)
      : {
          send: async () => {
            throw new ConfigError('COLLECTION_QUEUE_URL is not set: asynchronous collection is unavailable');
          },
        });
  const runDeps: RunDeps = {
    store,
    writer,
    registry,
    connections,
    logger,
    retry: config.collection.retry,
    maxBackfillMs: config.collection.maxBackfillMs,
    // Inventory snapshots go through change tracking (lib/resources/sink.ts); a caller's
    // sinks replace the defaults per data type.
    sinks: { resource: createResourceSink({ store, writer }), ...opts.sinks },
    secrets: config.clickhouse.password ? [config.clickhouse.password] : [],
  };
  return { config, env: opts.env, store, writer, registry, connections, queue, logger, runDeps, mode: opts.mode };
}
