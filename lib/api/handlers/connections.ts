import { z } from 'zod';
import type { Connection, ProviderDefinition } from '../../collector/types';
import { CustomerIdSchema } from '../../config/schema';
import { providerCatalog, secretFieldsOf } from '../../connections/catalog';
import { connectionHealth } from '../../connections/health';
import {
  type ConnectionRow,
  listConnectionEvents,
  listConnectionRows,
  newConnectionId,
  recordConnectionEvent,
  writeConnectionRow,
} from '../../connections/repo';
import { STORE_REF } from '../../connections/secrets';
import { settingsIssues, testConnectionAsConfigured } from '../../connections/settings';
import { ConflictError, errorMessage, HttpError, NotFoundError, ValidationError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import { fillExternalId } from '../../providers/aws/external-id';
import { createRedactor } from '../../redact';
import type { Runtime } from '../../runtime';

/** How long a connection test may take before it is reported as failed. */
export const CONNECTION_TEST_TIMEOUT_MS = 20_000;

const SecretName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -');
const SecretValue = z.string().min(1, 'must not be empty').max(65_536);
const Name = z.string().trim().min(1).max(100);
export const IdPath = z.object({
  connection_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a connection id'),
});

export const CreateBody = z.strictObject({
  customer_id: CustomerIdSchema,
  provider: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be a provider id such as aws or vultr'),
  name: Name.optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(SecretName, SecretValue).default({}),
  enabled: z.boolean().default(true),
  test: z.boolean().default(false),
});

export const PatchBody = z.strictObject({
  name: Name.optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(SecretName, SecretValue.nullable()).optional(),
  enabled: z.boolean().optional(),
});

/** A failed connection test: the provider's own message, secrets removed. */
class ConnectionTestFailedError extends HttpError {
  constructor(message: string) {
    super(422, 'connection_test_failed', message);
    this.name = 'ConnectionTestFailedError';
  }
}

// ---------------------------------------------------------------- catalog

/** GET /api/v1/providers — every provider the build knows, with its settings' JSON Schema and secret fields. */
export const providersCatalog: RouteHandler<Runtime> = async (req) => {
  req.requireAuth();
  return { body: { providers: providerCatalog(req.runtime.registry) } };
};

// ---------------------------------------------------------------- shared

type Found =
  | { kind: 'api'; row: ConnectionRow }
  | { kind: 'static'; connection: Connection; source: 'file' | 'builtin' };

const sourceOf = (c: Connection): 'api' | 'file' | 'builtin' =>
  c.source === 'database' ? 'api' : c.source === 'config' ? 'file' : 'builtin';

/**
 * The caller's connection with that id: API-made ones from the table, else file and
 * built-in ones. Another customer's connection is a 404, like one that does not exist.
 */
async function findConnection(req: ApiRequest<Runtime>, id: string): Promise<Found> {
  const auth = req.requireAuth();
  const mine = (customerId: string) => auth.is_admin || auth.customer_id === customerId;
  const row = (await listConnectionRows(req.runtime.store, { id })).find((r) => mine(r.customer_id));
  if (row) return { kind: 'api', row };
  const all = await req.runtime.connections.list(auth.is_admin ? {} : { customerId: auth.customer_id });
  const c = all.find((x) => x.id === id && x.source !== 'database' && mine(x.customerId));
  if (c) return { kind: 'static', connection: c, source: sourceOf(c) === 'file' ? 'file' : 'builtin' };
  throw new NotFoundError(`No connection ${id}.`);
}

function requireApiMade(found: Found): ConnectionRow {
  if (found.kind === 'api') return found.row;
  const where =
    found.source === 'file'
      ? 'the connections file (OPTIINFRA_CONNECTIONS_FILE); change it there and restart'
      : 'the product itself (a built-in connection)';
  throw new ConflictError(`Connection ${found.connection.id} comes from ${where}; it is read-only here.`);
}

function providerOf(req: ApiRequest<Runtime>, id: string): ProviderDefinition {
  const def = req.runtime.registry.get(id);
  if (!def) throw new NotFoundError(`Unknown provider ${id}.`);
  return def;
}

function checkSettings(def: ProviderDefinition, settings: unknown) {
  const issues = settingsIssues(def, settings);
  if (issues.length)
    throw new ValidationError(
      issues
        .slice(0, 10)
        .map((i) => `body ${i.field}: ${i.message}`)
        .join('; '),
    );
}

function checkRequiredSecrets(def: ProviderDefinition, names: Iterable<string>) {
  const have = new Set(names);
  const missing = secretFieldsOf(def).filter((f) => f.required && !have.has(f.name));
  if (missing.length)
    throw new ValidationError(missing.map((f) => `body secrets.${f.name}: required (${f.label})`).join('; '));
}

/** The connection test, bounded in time; resolves to the outcome the API reports and stores. */
async function runTest(
  req: ApiRequest<Runtime>,
  def: ProviderDefinition,
  connection: Connection,
  timeoutMs = CONNECTION_TEST_TIMEOUT_MS,
): Promise<{ ok: boolean; latency_ms: number; message: string; tested_at: string }> {
  const started = Date.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const redact = createRedactor([
    ...(req.runtime.runDeps.secrets ?? []),
    ...Object.values(connection.secrets),
  ]);
  const withId = fillExternalId(connection, req.runtime.env.OPTIINFRA_EXTERNAL_ID_SECRET || undefined);
  try {
    await Promise.race([
      testConnectionAsConfigured(def, withId, { signal: controller.signal, logger: req.logger }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
      }),
    ]);
    return { ok: true, latency_ms: Date.now() - started, message: 'ok', tested_at: new Date().toISOString() };
  } catch (err) {
    return {
      ok: false,
      latency_ms: Date.now() - started,
      message: redact(errorMessage(err)),
      tested_at: new Date().toISOString(),
    };
  } finally {
    clearTimeout(timer);
  }
}

async function view(req: ApiRequest<Runtime>, found: Found) {
  const rt = req.runtime;
  if (found.kind === 'api') {
    const r = found.row;
    const c = {
      id: r.connection_id,
      customerId: r.customer_id,
      provider: r.provider,
      enabled: r.enabled,
      settings: r.settings,
    };
    return {
      id: r.connection_id,
      customer_id: r.customer_id,
      provider: r.provider,
      name: r.meta.name ?? r.provider,
      enabled: r.enabled,
      settings: r.settings,
      secrets: Object.fromEntries(
        Object.keys(r.secret_ref).map((n) => [n, { set: true, updated_at: r.meta.secrets?.[n] ?? null }]),
      ),
      source: 'api' as const,
      created_at: r.created_at,
      created_by: r.meta.created_by ?? null,
      updated_at: r.updated_at,
      updated_by: r.meta.updated_by ?? null,
      health: await connectionHealth({ store: rt.store, registry: rt.registry, mode: rt.mode }, c),
    };
  }
  const c = found.connection;
  return {
    id: c.id,
    customer_id: c.customerId,
    provider: c.provider,
    name: c.id,
    enabled: c.enabled,
    settings: c.settings,
    secrets: Object.fromEntries(Object.keys(c.secrets).map((n) => [n, { set: true, updated_at: null }])),
    source: found.source,
    created_at: null,
    created_by: null,
    updated_at: null,
    updated_by: null,
    health: await connectionHealth({ store: rt.store, registry: rt.registry, mode: rt.mode }, c),
  };
}

export const ConnectionsListQuery = z.object({
  customer_id: CustomerIdSchema.optional(),
  provider: z.string().max(32).optional(),
});
export const DeleteQuery = z.object({ purge: z.enum(['true', 'false']).default('false') });
export const EventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

// ---------------------------------------------------------------- routes

/** GET /api/v1/connections?customer_id= — the customer's connections (admins: any, or all). */
export const connectionsList: RouteHandler<Runtime> = async (req) => {
  const auth = req.requireAuth();
  const q = req.query(ConnectionsListQuery);
  const customerId = q.customer_id ?? (auth.is_admin ? undefined : auth.customer_id);
  if (customerId !== undefined) req.requireCustomer(customerId);
  const rows = await listConnectionRows(req.runtime.store, { customerId, provider: q.provider });
  const statics = (await req.runtime.connections.list({ customerId, provider: q.provider })).filter(
    (c) => c.source !== 'database',
  );
  const found: Found[] = [
    ...rows.map((row) => ({ kind: 'api' as const, row })),
    ...statics.map((connection) => ({
      kind: 'static' as const,
      connection,
      source: connection.source === 'config' ? ('file' as const) : ('builtin' as const),
    })),
  ];
  return { body: { connections: await Promise.all(found.map((f) => view(req, f))) } };
};

/** POST /api/v1/connections — validates, optionally tests, stores; 201 with the connection. */
export const connectionsCreate: RouteHandler<Runtime> = async (req) => {
  const body = req.body(CreateBody);
  const auth = req.requireCustomer(body.customer_id);
  const def = providerOf(req, body.provider);
  checkSettings(def, body.settings);
  checkRequiredSecrets(def, Object.keys(body.secrets));
  const rt = req.runtime;
  const name = body.name ?? def.id;
  const existing = await listConnectionRows(rt.store, { customerId: body.customer_id, provider: def.id });
  if (existing.some((r) => (r.meta.name ?? r.provider) === name))
    throw new ConflictError(
      `body name: ${body.customer_id} already has a ${def.id} connection named "${name}"`,
    );
  const id = newConnectionId();
  if (body.test) {
    const outcome = await runTest(req, def, {
      id,
      customerId: body.customer_id,
      provider: def.id,
      enabled: body.enabled,
      settings: body.settings,
      secrets: body.secrets,
      source: 'database',
    });
    if (!outcome.ok) throw new ConnectionTestFailedError(outcome.message);
  }
  const now = new Date().toISOString();
  const secretNames = Object.keys(body.secrets);
  if (secretNames.length) await rt.secretStore.put(id, body.secrets);
  const row: ConnectionRow = {
    customer_id: body.customer_id,
    provider: def.id,
    connection_id: id,
    settings: body.settings,
    secret_ref: Object.fromEntries(secretNames.map((n) => [n, `${STORE_REF}${id}`])),
    enabled: body.enabled,
    created_at: now,
    updated_at: now,
    meta: {
      name,
      created_by: auth.key_id,
      updated_by: auth.key_id,
      secrets: Object.fromEntries(secretNames.map((n) => [n, now])),
    },
  };
  await writeConnectionRow(rt.store, row);
  await recordConnectionEvent(rt.store, {
    customerId: row.customer_id,
    connectionId: id,
    keyId: auth.key_id,
    action: 'created',
    fields: [
      'name',
      'enabled',
      ...Object.keys(body.settings).map((k) => `settings.${k}`),
      ...secretNames.map((n) => `secrets.${n}`),
    ],
  });
  req.logger.info('connection created', {
    connection_id: id,
    customer_id: row.customer_id,
    provider: def.id,
  });
  return { status: 201, body: await view(req, { kind: 'api', row }) };
};

/** GET /api/v1/connections/{connection_id} */
export const connectionsGet: RouteHandler<Runtime> = async (req) => {
  const { connection_id } = req.path(IdPath);
  return { body: await view(req, await findConnection(req, connection_id)) };
};

/** PATCH /api/v1/connections/{connection_id} — settings (replaced whole), secrets (merged; null removes), enabled, name. */
export const connectionsUpdate: RouteHandler<Runtime> = async (req) => {
  const { connection_id } = req.path(IdPath);
  const auth = req.requireAuth();
  const row = requireApiMade(await findConnection(req, connection_id));
  const body = req.body(PatchBody);
  const def = providerOf(req, row.provider);
  const rt = req.runtime;
  const changed: string[] = [];
  const secretTimes: Record<string, string> = { ...row.meta.secrets };
  const next: ConnectionRow = { ...row, meta: { ...row.meta, secrets: secretTimes } };
  if (body.settings !== undefined) {
    checkSettings(def, body.settings);
    const keys = new Set([...Object.keys(row.settings), ...Object.keys(body.settings)]);
    for (const k of keys)
      if (JSON.stringify(row.settings[k]) !== JSON.stringify(body.settings[k])) changed.push(`settings.${k}`);
    next.settings = body.settings;
  }
  if (body.name !== undefined && body.name !== (row.meta.name ?? row.provider)) {
    const others = await listConnectionRows(rt.store, {
      customerId: row.customer_id,
      provider: row.provider,
    });
    if (
      others.some((r) => r.connection_id !== row.connection_id && (r.meta.name ?? r.provider) === body.name)
    )
      throw new ConflictError(
        `body name: ${row.customer_id} already has a ${row.provider} connection named "${body.name}"`,
      );
    next.meta.name = body.name;
    changed.push('name');
  }
  if (body.enabled !== undefined && body.enabled !== row.enabled) {
    next.enabled = body.enabled;
    changed.push('enabled');
  }
  const now = new Date().toISOString();
  if (body.secrets !== undefined && Object.keys(body.secrets).length) {
    const current = Object.values(row.secret_ref).some((r) => r.startsWith(STORE_REF))
      ? ((await rt.secretStore.get(row.connection_id)) ?? {})
      : {};
    const merged: Record<string, string> = { ...current };
    const refs = { ...row.secret_ref };
    for (const [n, v] of Object.entries(body.secrets)) {
      if (v === null) {
        delete merged[n];
        delete refs[n];
        delete secretTimes[n];
      } else {
        merged[n] = v;
        refs[n] = `${STORE_REF}${row.connection_id}`;
        secretTimes[n] = now;
      }
      changed.push(`secrets.${n}`);
    }
    checkRequiredSecrets(def, Object.keys(refs));
    if (Object.keys(merged).length) await rt.secretStore.put(row.connection_id, merged);
    else await rt.secretStore.delete(row.connection_id);
    next.secret_ref = refs;
  }
  if (changed.length) {
    next.updated_at = now;
    next.meta.updated_by = auth.key_id;
    await writeConnectionRow(rt.store, next);
    await recordConnectionEvent(rt.store, {
      customerId: row.customer_id,
      connectionId: row.connection_id,
      keyId: auth.key_id,
      action: 'updated',
      fields: changed,
    });
  }
  return { body: await view(req, { kind: 'api', row: next }) };
};

const PURGE_BY_CONNECTION = [
  {
    table: 'costs',
    where: 'x_customer_id = {c:String} AND x_provider = {p:String} AND x_connection_id = {id:String}',
  },
  {
    table: 'collection_runs',
    where: 'customer_id = {c:String} AND provider = {p:String} AND connection_id = {id:String}',
  },
] as const;
/** Tables keyed by customer and provider only: purged when no other connection of that provider remains. */
const PURGE_BY_PROVIDER = [
  'performance_points',
  'resource_snapshots',
  'resource_changes',
  'resource_snapshot_runs',
  'watermarks',
] as const;

/** DELETE /api/v1/connections/{connection_id}[?purge=true] — disconnects; purge also deletes its rows. */
export const connectionsDelete: RouteHandler<Runtime> = async (req) => {
  const { connection_id } = req.path(IdPath);
  const auth = req.requireAuth();
  const { purge } = req.query(DeleteQuery);
  const row = requireApiMade(await findConnection(req, connection_id));
  const rt = req.runtime;
  await writeConnectionRow(rt.store, { ...row, updated_at: new Date().toISOString() }, true);
  await rt.secretStore.delete(row.connection_id);
  await recordConnectionEvent(rt.store, {
    customerId: row.customer_id,
    connectionId: row.connection_id,
    keyId: auth.key_id,
    action: purge === 'true' ? 'deleted_purged' : 'deleted',
  });
  if (purge !== 'true') {
    return {
      body: {
        id: row.connection_id,
        deleted: true,
        data_kept: true,
        message:
          'Disconnected: no further collection. Data already collected is kept (DELETE with ?purge=true removes it).',
      },
    };
  }
  const params = { c: row.customer_id, p: row.provider, id: row.connection_id };
  const rows_removed: Record<string, number> = {};
  const count = async (table: string, where: string) => {
    const rs = await rt.store.client.query({
      query: `SELECT count() AS n FROM ${table} WHERE ${where}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
  };
  const remove = async (table: string, where: string) => {
    rows_removed[table] = await count(table, where);
    if (rows_removed[table])
      await rt.store.client.command({ query: `DELETE FROM ${table} WHERE ${where}`, query_params: params });
  };
  for (const t of PURGE_BY_CONNECTION) await remove(t.table, t.where);
  const siblings = (
    await rt.connections.list({ customerId: row.customer_id, provider: row.provider })
  ).filter((c) => c.id !== row.connection_id);
  if (siblings.length === 0)
    for (const table of PURGE_BY_PROVIDER)
      await remove(table, 'customer_id = {c:String} AND provider = {p:String}');
  return {
    body: {
      id: row.connection_id,
      deleted: true,
      data_kept: false,
      rows_removed,
      message:
        siblings.length === 0
          ? 'Disconnected and purged: every row of this connection was deleted.'
          : `Disconnected and purged: cost rows and runs of this connection were deleted; metrics and inventory of ${row.provider} are shared with its other connections and were kept.`,
    },
  };
};

/** POST /api/v1/connections/{connection_id}/test — runs the provider's free test call now (20 s at most). */
export const connectionsTest: RouteHandler<Runtime> = async (req) => {
  const { connection_id } = req.path(IdPath);
  const auth = req.requireAuth();
  const found = await findConnection(req, connection_id);
  const rt = req.runtime;
  const base = found.kind === 'api' ? found.row : null;
  const connection =
    found.kind === 'static'
      ? found.connection
      : (await rt.connections.list({ customerId: base?.customer_id, provider: base?.provider })).find(
          (c) => c.id === connection_id && c.source === 'database',
        );
  if (!connection) throw new NotFoundError(`No connection ${connection_id}.`);
  const def = providerOf(req, connection.provider);
  const outcome = await runTest(req, def, connection);
  await recordConnectionEvent(rt.store, {
    customerId: connection.customerId,
    connectionId: connection.id,
    keyId: auth.key_id,
    action: 'test',
    ok: outcome.ok,
    latencyMs: outcome.latency_ms,
    message: outcome.message,
    at: new Date(outcome.tested_at),
  });
  return { body: outcome };
};

/** GET /api/v1/connections/{connection_id}/events — changes and tests, newest first. */
export const connectionsEvents: RouteHandler<Runtime> = async (req) => {
  const { connection_id } = req.path(IdPath);
  const found = await findConnection(req, connection_id);
  const customerId = found.kind === 'api' ? found.row.customer_id : found.connection.customerId;
  const { limit } = req.query(EventsQuery);
  return {
    body: {
      connection_id,
      events: await listConnectionEvents(req.runtime.store, customerId, connection_id, { limit }),
    },
  };
};

export const CONNECTIONS_HANDLERS: Record<string, RouteHandler<Runtime>> = {
  'providers-catalog': providersCatalog,
  'connections-list': connectionsList,
  'connections-create': connectionsCreate,
  'connections-get': connectionsGet,
  'connections-update': connectionsUpdate,
  'connections-delete': connectionsDelete,
  'connections-test': connectionsTest,
  'connections-events': connectionsEvents,
};
