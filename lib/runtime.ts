import { createNotifier } from './alerts/notify';
import { type Alerts, createAlerts } from './alerts/service';
import { isApplicationProvider } from './applications/names';
import { type Applications, createApplications } from './applications/service';
import { createStore, type Store } from './clickhouse/client';
import { createWriter, type Writer } from './clickhouse/writer';
import type { JobQueue } from './collector/queue';
import type { RunDeps } from './collector/run';
import { createSqsJobQueue } from './collector/sqs-queue';
import type { Connection, DataSink, DataType } from './collector/types';
import type { AppConfig } from './config/schema';
import { loadConnectionsFile } from './connections/file';
import {
  awsSecretStore,
  embeddedSecretStore,
  masterKeyLoader,
  type SecretStore,
} from './connections/secret-store';
import {
  type ConnectionSource,
  combineSources,
  databaseConnections,
  staticConnections,
} from './connections/source';
import { createCostSink } from './costs/sink';
import { ConfigError } from './errors';
import { createLogger, type Logger } from './logger';
import {
  EXTERNAL_ID_SECRET_MIN_LENGTH,
  fillExternalId,
  withGeneratedExternalIds,
} from './providers/aws/external-id';
import { checkConnectionsFile } from './providers/generic/validate';
import { createRegistry, PROVIDERS, type ProviderRegistry } from './providers/registry';
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
  /** The application agent: judge status, applications file, evaluation source. */
  readonly applications: Applications;
  /** Where API-made connections' secrets live (lib/connections/secret-store.ts). */
  readonly secretStore: SecretStore;
  /** Collection alerts (webhook / SNS topic / log): lib/alerts/. */
  readonly alerts: Alerts;
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
  secretStore?: SecretStore;
}

/** The `local` provider's built-in connection, for `npm start`. */
export function builtinLocalConnection(config: AppConfig): Connection {
  return {
    id: 'local',
    customerId: config.defaultCustomerId,
    provider: 'local',
    enabled: true,
    settings: {
      ...(config.local.hourlyRate ? { hourly_rate: config.local.hourlyRate } : {}),
      currency: config.local.currency,
    },
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
  // The evaluation source asks the registry which provider ids exist, and the registry
  // holds the source: resolved through this late-bound reference.
  let registry: ProviderRegistry | undefined;
  const applications = createApplications({
    config,
    env: opts.env,
    store,
    writer,
    logger,
    isProvider: (id) => registry !== undefined && isApplicationProvider(registry, id),
  });
  registry = opts.registry ?? createRegistry(PROVIDERS, [applications.source]);
  if (!applications.status.enabled && opts.mode === 'local') {
    logger.warn('application evaluation is off', { reason: applications.status.reason });
  }
  const sources: ConnectionSource[] = [];
  const builtins: Connection[] = [...(opts.connections ?? [])];
  if (opts.mode === 'local') builtins.unshift(builtinLocalConnection(config));
  sources.push(staticConnections(builtins));
  // AWS connections that assume a customer role get the product-generated ExternalId.
  const externalIdSecret = opts.env.OPTIINFRA_EXTERNAL_ID_SECRET || undefined;
  if (externalIdSecret !== undefined && externalIdSecret.length < EXTERNAL_ID_SECRET_MIN_LENGTH) {
    throw new ConfigError(
      `OPTIINFRA_EXTERNAL_ID_SECRET must be at least ${EXTERNAL_ID_SECRET_MIN_LENGTH} characters`,
    );
  }
  if (config.connectionsFile) {
    // Settings are checked against each provider's schema at start-up, so a typo fails here
    // with the file, entry and field named, not in a run hours later.
    checkConnectionsFile(config.connectionsFile, registry, { externalIdSecret });
    // Kept as written: settings are parsed once, on their way into a run or a connection
    // test (lib/connections/settings.ts), never here as well.
    const fromFile = loadConnectionsFile(config.connectionsFile, opts.env).map((c) =>
      fillExternalId(c, externalIdSecret),
    );
    sources.push(staticConnections(fromFile));
  }
  const secretStore = opts.secretStore ?? createSecretStore(config, opts.env, store);
  sources.push(databaseConnections(store, opts.env, secretStore));
  const connections = withGeneratedExternalIds(combineSources(...sources), externalIdSecret);
  const queue: JobQueue =
    opts.queue ??
    (config.queueUrl
      ? createSqsJobQueue(config.queueUrl)
      : {
          send: async () => {
            throw new ConfigError('COLLECTION_QUEUE_URL is not set: asynchronous collection is unavailable');
          },
        });
  const alerts = createAlerts({
    store,
    writer,
    logger,
    afterFailures: config.alerts.afterFailures,
    notifier: createNotifier({
      logger,
      webhookUrl: config.alerts.webhookUrl,
      topicArn: config.alerts.topicArn,
    }),
  });
  const runDeps: RunDeps = {
    store,
    writer,
    registry,
    connections,
    logger,
    retry: config.collection.retry,
    maxBackfillMs: config.collection.maxBackfillMs,
    // Cost rows are restated by the clouds: written all at once, with tombstones (lib/costs/sink.ts).
    // Inventory snapshots go through change tracking (lib/resources/sink.ts). A caller's sinks
    // replace the defaults per data type.
    sinks: {
      cost: createCostSink(store, writer),
      resource: createResourceSink({ store, writer }),
      ...opts.sinks,
    },
    secrets: [config.clickhouse.password, externalIdSecret, ...applications.secrets].filter(
      (v): v is string => !!v,
    ),
    lease: config.collection.lease,
    afterRun: alerts.afterRun,
  };
  return {
    config,
    env: opts.env,
    store,
    writer,
    registry,
    connections,
    queue,
    logger,
    runDeps,
    mode: opts.mode,
    applications,
    secretStore,
    alerts,
  };
}

/**
 * Secrets Manager when the deployment names a prefix (`OPTIINFRA_SECRETS_PREFIX`, set by the
 * stacks), else the embedded envelope-encrypted store (key: `OPTIINFRA_MASTER_KEY` or the
 * data folder's `master-key` file).
 */
function createSecretStore(config: AppConfig, env: Record<string, string | undefined>, store: Store) {
  const prefix = env.OPTIINFRA_SECRETS_PREFIX;
  if (prefix) return awsSecretStore({ prefix, ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}) });
  return embeddedSecretStore(
    store,
    masterKeyLoader({ dataDir: config.dataDir, envKey: env.OPTIINFRA_MASTER_KEY }),
  );
}
