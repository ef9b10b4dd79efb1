import { z } from 'zod';
import type { RouteSpec } from '../../http/types';
import {
  ConnectionsListQuery,
  CreateBody,
  DeleteQuery,
  EventsQuery,
  IdPath,
  PatchBody,
} from '../handlers/connections';

/**
 * Response bodies of the connections API. Documented by their top-level fields; the
 * connection object's full shape is in docs/connections.md.
 */
const ConnectionView = z.looseObject({
  id: z.string(),
  customer_id: z.string(),
  provider: z.string(),
  enabled: z.boolean(),
  source: z.enum(['api', 'file', 'builtin']),
  health: z.looseObject({}),
});
const Catalog = z.looseObject({
  providers: z.array(z.looseObject({ id: z.string(), settings_schema: z.unknown() })),
});
const ConnectionList = z.looseObject({ connections: z.array(ConnectionView) });
const TestResult = z.looseObject({
  ok: z.boolean(),
  latency_ms: z.number(),
  message: z.string(),
  tested_at: z.string(),
});
const Events = z.looseObject({
  connection_id: z.string(),
  events: z.array(z.looseObject({ action: z.string() })),
});
const Deleted = z.looseObject({ id: z.string() });

const conn = { tag: 'connections' as const, auth: 'key' as const };

/** Provider catalog and connections: customers connect, test, change and disconnect providers. */
export const CONNECTIONS_ROUTES: readonly RouteSpec[] = [
  {
    ...conn,
    method: 'GET',
    path: '/api/v1/providers',
    name: 'providers-catalog',
    summary: 'Every provider with the JSON Schema of its settings and its secret fields (for forms)',
    responses: { 200: Catalog },
  },
  {
    ...conn,
    method: 'GET',
    path: '/api/v1/connections',
    name: 'connections-list',
    summary: "A customer's connections, secrets shown only as set, with their health",
    query: ConnectionsListQuery,
    responses: { 200: ConnectionList },
  },
  {
    ...conn,
    method: 'POST',
    path: '/api/v1/connections',
    name: 'connections-create',
    summary: 'Connect a provider (test: true tests it first and stores nothing if it fails)',
    timeoutSeconds: 29,
    body: CreateBody,
    responses: { 201: ConnectionView },
  },
  {
    ...conn,
    method: 'GET',
    path: '/api/v1/connections/{connection_id}',
    name: 'connections-get',
    summary: 'One connection with its health',
    params: IdPath,
    responses: { 200: ConnectionView },
  },
  {
    ...conn,
    method: 'PATCH',
    path: '/api/v1/connections/{connection_id}',
    name: 'connections-update',
    summary: 'Change settings, secrets (null removes an optional one), name or enabled',
    params: IdPath,
    body: PatchBody,
    responses: { 200: ConnectionView },
  },
  {
    ...conn,
    method: 'DELETE',
    path: '/api/v1/connections/{connection_id}',
    name: 'connections-delete',
    summary: "Disconnect (data kept; purge=true deletes the connection's rows)",
    params: IdPath,
    query: DeleteQuery,
    responses: { 200: Deleted },
  },
  {
    ...conn,
    method: 'POST',
    path: '/api/v1/connections/{connection_id}/test',
    name: 'connections-test',
    summary: "Run the provider's free test call now",
    timeoutSeconds: 29,
    params: IdPath,
    body: z.strictObject({}).optional(),
    responses: { 200: TestResult },
  },
  {
    ...conn,
    method: 'GET',
    path: '/api/v1/connections/{connection_id}/events',
    name: 'connections-events',
    summary: 'Who changed what (field names, never values)',
    params: IdPath,
    query: EventsQuery,
    responses: { 200: Events },
  },
];
