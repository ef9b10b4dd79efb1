import type { RouteSpec } from '../../http/types';
import { CollectorsQuery, TaskPathSchema } from '../handlers/collect';
import { CreateKeyBody, KeyPathSchema } from '../handlers/keys';
import {
  CollectorsSchema,
  HealthSchema,
  KeyCreatedSchema,
  KeyRevokedSchema,
  RunListSchema,
  RunSchema,
  TriggerResponseSchema,
} from '../responses';
import { CustomerPathSchema, HistoryQuerySchema, TriggerBodySchema } from '../schemas';

/** Collector, key management and health routes (the foundation). */
export const PLATFORM_ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    name: 'health',
    auth: 'none',
    summary: 'ClickHouse reachable and migrations current (503 otherwise)',
    tag: 'platform',
    responses: { 200: HealthSchema, 503: HealthSchema },
  },
  {
    method: 'POST',
    path: '/api/v1/collect/trigger',
    name: 'collect-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
    summary: 'Collect any data types now (202 queued, 200 when async_mode is false)',
    tag: 'platform',
    body: TriggerBodySchema,
    responses: { 200: TriggerResponseSchema, 202: TriggerResponseSchema },
  },
  {
    method: 'GET',
    path: '/api/v1/collect/status/{task_id}',
    name: 'collect-status',
    auth: 'key',
    summary: 'One collection run',
    tag: 'platform',
    params: TaskPathSchema,
    responses: { 200: RunSchema },
  },
  {
    method: 'GET',
    path: '/api/v1/collect/history/{customer_id}',
    name: 'collect-history',
    auth: 'key',
    summary: "A customer's collection runs, newest first",
    tag: 'platform',
    params: CustomerPathSchema,
    query: HistoryQuerySchema,
    responses: { 200: RunListSchema },
  },
  {
    method: 'GET',
    path: '/api/v1/collectors',
    name: 'collectors-list',
    auth: 'key',
    summary: 'What this deployment can collect, and what the caller has configured',
    tag: 'platform',
    query: CollectorsQuery,
    responses: { 200: CollectorsSchema },
  },
  {
    method: 'POST',
    path: '/api/v1/keys',
    name: 'keys-create',
    auth: 'key',
    summary: 'Create an API key (admin); the key is shown once',
    tag: 'platform',
    body: CreateKeyBody,
    responses: { 201: KeyCreatedSchema },
  },
  {
    method: 'DELETE',
    path: '/api/v1/keys/{key_id}',
    name: 'keys-revoke',
    auth: 'key',
    summary: 'Revoke an API key',
    tag: 'platform',
    params: KeyPathSchema,
    responses: { 200: KeyRevokedSchema },
  },
];
