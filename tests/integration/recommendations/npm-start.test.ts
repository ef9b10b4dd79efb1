import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

/** `npm start` on a plain machine answers the recommendations routes. */
const root = join(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'optiinfra-rec-start-'));
let child: ChildProcess | undefined;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON, asserted by shape
type Json = any;

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child?.once('exit', resolve);
    child?.kill('SIGINT');
  });
});

it('answers an empty list with the reason, then evaluates this machine on demand', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      OPTIINFRA_DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'WARN',
      DEFAULT_CUSTOMER_ID: 'rec-e2e',
      LOCAL_HOURLY_RATE: '0.25',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 120_000);
    child?.stdout?.on('data', (d) => {
      out += d;
      const m = /OptiInfra is running at (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child?.stderr?.on('data', (d) => {
      out += d;
    });
  });
  const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const list = await fetch(`${url}/api/v2/recommendations/rec-e2e/all`, { headers });
  expect(list.status).toBe(200);
  const empty = (await list.json()) as Json;
  expect(empty).toMatchObject({ count: 0, recommendations: [] });
  expect(empty.reason).toMatch(/not evaluated yet/);

  // The local collector snapshots this machine within a minute; evaluate until it is in the inventory.
  let after: {
    count: number;
    evaluated_at: string | null;
    skipped: { resources: { resource_id: string; reason: string }[] };
  } = {
    count: -1,
    evaluated_at: null,
    skipped: { resources: [] },
  };
  for (let i = 0; i < 30 && after.skipped.resources.length === 0; i++) {
    const trig = await fetch(`${url}/api/v2/recommendations/trigger-evaluation`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ customer_id: 'rec-e2e' }),
    });
    expect(trig.status).toBe(200);
    expect(((await trig.json()) as Json).status).toBe('succeeded');
    after = (await (await fetch(`${url}/api/v2/recommendations/rec-e2e/local`, { headers })).json()) as Json;
    if (after.skipped.resources.length === 0) await new Promise((r) => setTimeout(r, 3000));
  }
  // A machine that has just started has minutes of data, not 80 % of 14 days: skipped, with the reason.
  expect(after.count).toBe(0);
  expect(after.evaluated_at).not.toBeNull();
  expect(after.skipped.resources.length).toBeGreaterThan(0);
  for (const s of after.skipped.resources) expect(s.reason).toMatch(/coverage .* below 80%|no .* points/);
  const summary = await fetch(`${url}/api/v2/recommendations/rec-e2e/all/summary?days=7`, { headers });
  expect(summary.status).toBe(200);
  expect(((await summary.json()) as Json).counts).toEqual({ open: 0, dismissed: 0, resolved: 0 });
}, 180_000);
