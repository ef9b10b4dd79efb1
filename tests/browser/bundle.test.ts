import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../../lib/local/web';
import { ROOT } from './browser';

/**
 * The console's first load — the shell plus the overview page it opens on — stays within
 * 250 KB of gzipped JavaScript, and every page is a chunk of its own, loaded on demand.
 * Followed through Vite's build manifest (web/dist/.vite/manifest.json).
 */
const BUDGET_BYTES = 250 * 1024;
const DIST = join(ROOT, 'web', 'dist');

interface Chunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}
let manifest: Record<string, Chunk>;

beforeAll(async () => {
  const web = ensureWebBuilt({ root: ROOT });
  await web.done;
  expect(web.state()).toEqual({ status: 'ready' });
  manifest = JSON.parse(readFileSync(join(DIST, '.vite', 'manifest.json'), 'utf8'));
}, 120_000);

/** The chunk and everything it imports statically. */
function closure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const i of manifest[key]?.imports ?? []) closure(i, seen);
  return seen;
}

const gzipped = (keys: Set<string>) =>
  [...keys].reduce((n, k) => n + gzipSync(readFileSync(join(DIST, manifest[k]?.file as string))).length, 0);

describe('console bundle', () => {
  it('loads the shell and the overview in at most 250 KB of gzipped JavaScript', () => {
    const entry = Object.keys(manifest).find((k) => manifest[k]?.isEntry);
    expect(entry).toBe('index.html');
    const initial = closure('index.html');
    closure('src/pages/overview.tsx', initial);
    const bytes = gzipped(initial);
    expect(bytes).toBeGreaterThan(10 * 1024);
    expect(bytes).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('splits every page into its own chunk that the shell does not load up front', () => {
    const pages = [
      'overview',
      'providers',
      'costs',
      'performance',
      'resources',
      'applications',
      'recommendations',
      'runs',
    ];
    const shell = closure('index.html');
    for (const p of pages) {
      const key = `src/pages/${p}.tsx`;
      expect(manifest[key]?.isDynamicEntry, key).toBe(true);
      expect(shell.has(key), key).toBe(false);
      expect(manifest['index.html']?.dynamicImports).toContain(key);
    }
  });
});
