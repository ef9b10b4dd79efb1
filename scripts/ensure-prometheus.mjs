#!/usr/bin/env node
// `npm test` runs this first (pretest). Two test groups need Debian packages: the generic
// collector's tests run against a real Prometheus server (`prometheus`) scraping a real
// node exporter (`prometheus-node-exporter`), and the web
// console's browser tests drive Debian's Chromium (`chromium`; no browser download is
// possible here). Where one is missing and we may install it (root with apt-get, as on CI
// and fresh development machines here), install it; otherwise say how, and let the tests
// that need it fail with the same hint.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const NEEDED = [
  { bin: 'prometheus', pkg: 'prometheus', for: 'the real-Prometheus integration tests' },
  {
    bin: 'prometheus-node-exporter',
    pkg: 'prometheus-node-exporter',
    for: 'the connections-file test (tests/integration/connections)',
  },
  { bin: 'chromium', pkg: 'chromium', for: 'the web console browser tests (tests/browser)' },
];

const onPath = (bin) =>
  [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, bin)), `/usr/bin/${bin}`].find((p) =>
    existsSync(p),
  );
const missing = NEEDED.filter((n) => !onPath(n.bin));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((m) => m.pkg);
const hint = `Install with: sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (!isRoot || !hasApt) {
  for (const m of missing) console.warn(`[pretest] ${m.bin} not found: ${m.for} will fail. ${hint}`);
  process.exit(0);
}
console.log(`[pretest] installing ${pkgs.join(', ')} (Debian packages) for the tests …`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
  stdio: 'inherit',
  env,
});
console.log(`[pretest] ${pkgs.join(', ')} installed.`);
