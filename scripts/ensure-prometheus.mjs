#!/usr/bin/env node
// `npm test` runs this first (pretest). The generic collector's tests run against a real
// Prometheus server (Debian package `prometheus`). Where it is missing and we may install
// it (root with apt-get, as on CI and fresh development machines here), install it;
// otherwise say how, and let the test that needs it fail with the same hint.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const found = [
  ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'prometheus')),
  '/usr/bin/prometheus',
].find((p) => existsSync(p));
if (found) process.exit(0);

const hint = 'Install it with: sudo apt-get update && sudo apt-get install -y prometheus';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (!isRoot || !hasApt) {
  console.warn(`[pretest] prometheus not found: the real-Prometheus integration test will fail. ${hint}`);
  process.exit(0);
}
console.log('[pretest] installing Prometheus (Debian package) for the integration tests …');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
  stdio: 'inherit',
  env,
});
console.log('[pretest] Prometheus installed.');
