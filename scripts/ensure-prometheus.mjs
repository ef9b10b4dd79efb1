#!/usr/bin/env node
// `npm test` runs this first (pretest). Some integration tests run real services from
// Debian's packages: the generic collector's against a real Prometheus server scraping
// a real node exporter. Where one is missing and we may install it (root with apt-get,
// as on CI and fresh development machines here), install it; otherwise say how, and let
// the test that needs it fail with the same hint.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** [binary, Debian package] the tests need. */
const NEEDED = [
  ['prometheus', 'prometheus'],
  ['prometheus-node-exporter', 'prometheus-node-exporter'],
];

const found = (bin) =>
  [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, bin)), `/usr/bin/${bin}`].some((p) =>
    existsSync(p),
  );
const missing = NEEDED.filter(([bin]) => !found(bin)).map(([, pkg]) => pkg);
if (missing.length === 0) process.exit(0);

const hint = `Install with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (!isRoot || !hasApt) {
  console.warn(`[pretest] missing ${missing.join(', ')}: the tests that run them will fail. ${hint}`);
  process.exit(0);
}
console.log(`[pretest] installing ${missing.join(', ')} (Debian packages) for the integration tests …`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
  stdio: 'inherit',
  env,
});
console.log(`[pretest] installed ${missing.join(', ')}.`);
