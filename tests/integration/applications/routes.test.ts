import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDLERS } from '../../../lib/api/handlers';
import { APPLICATIONS_HANDLERS } from '../../../lib/api/handlers/applications';
import { ROUTES } from '../../../lib/api/routes';
import { APPLICATIONS_ROUTES } from '../../../lib/api/routes/applications';

const ROOT = join(import.meta.dirname, '../../..');

describe('application routes', () => {
  it('every route has a handler and a Lambda entry point exporting it, behind a key', async () => {
    expect(APPLICATIONS_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v2/applications/{customer_id}/samples',
      'GET /api/v2/applications/{customer_id}/{provider}/quality',
      'GET /api/v2/applications/{customer_id}/{provider}/hallucinations',
      'GET /api/v2/applications/{customer_id}/{provider}/toxicity',
      'GET /api/v2/applications/{customer_id}/{provider}/summary',
      'GET /api/v2/applications/{customer_id}/{provider}/models',
      'GET /api/v2/applications/judge/calibration',
      'POST /api/v2/applications/trigger-collection',
    ]);
    for (const route of APPLICATIONS_ROUTES) {
      expect(route.auth).toBe('key');
      expect(ROUTES).toContain(route);
      expect(HANDLERS[route.name]).toBe(APPLICATIONS_HANDLERS[route.name]);
      const file = join(ROOT, 'functions/api', `${route.name}.ts`);
      expect(existsSync(file)).toBe(true);
      const mod = (await import(file)) as { handler?: unknown };
      expect(typeof mod.handler).toBe('function');
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    }
    expect(Object.keys(APPLICATIONS_HANDLERS).sort()).toEqual(APPLICATIONS_ROUTES.map((r) => r.name).sort());
  });
});
