#!/usr/bin/env node
// Makes package-lock.json acceptable to `npm ci` when the registry lacks some packages.
//
// The npm registry mirror used here does not carry every platform build of packages such
// as @biomejs/cli-*, @chdb/lib-* and @rollup/rollup-*. When one of a package's optional
// platform dependencies answers 404, `npm install` writes a lockfile without entries for
// the other platforms' builds, and `npm ci` then refuses that lockfile ("package.json and
// package-lock.json are not in sync ... Missing: @rollup/rollup-darwin-x64@"). This adds
// an entry for every missing optional dependency, with its exact version and the os/cpu/
// libc its name declares, so `npm ci` accepts the lock and skips those packages on this
// platform. Run it after every `npm install` that changes the lock:
//
//   node scripts/complete-lockfile.mjs && npm ci
import { readFileSync, writeFileSync } from 'node:fs';

const path = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'package-lock.json';
const check = process.argv.includes('--check');
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;

/** os/cpu/libc from the platform-package naming convention (name-os-cpu[-libc]). */
export function platformOf(name) {
  const n = name.split('/').pop();
  const os = [
    'android',
    'darwin',
    'linux',
    'win32',
    'freebsd',
    'openbsd',
    'openharmony',
    'sunos',
    'aix',
    'netbsd',
  ].find((o) => new RegExp(`(^|-)${o}(-|$)`).test(n));
  const cpu = ['arm64', 'x64', 'loong64', 'ppc64', 'riscv64', 's390x', 'ia32', 'arm', 'mips64el'].find((c) =>
    new RegExp(`-${c}(-|$)`).test(n),
  );
  if (!os || !cpu) return null;
  const libc = /-musl/.test(n) ? ['musl'] : os === 'linux' && /-gnu/.test(n) ? ['glibc'] : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
}

const missing = [];
for (const [parentPath, p] of Object.entries(pkgs)) {
  for (const [name, spec] of Object.entries(p.optionalDependencies ?? {})) {
    const nested = `${parentPath ? `${parentPath}/` : ''}node_modules/${name}`;
    if (pkgs[`node_modules/${name}`] || pkgs[nested]) continue;
    missing.push({ name, spec, parentPath });
  }
}

if (check) {
  if (missing.length > 0) {
    console.error(
      `package-lock.json lacks ${missing.length} optional dependency entr${missing.length === 1 ? 'y' : 'ies'} ` +
        `(e.g. ${missing[0].name}), so npm ci will refuse it. Run: node scripts/complete-lockfile.mjs`,
    );
    process.exit(1);
  }
  process.exit(0);
}

for (const { name, spec, parentPath } of missing) {
  if (!/^\d+\.\d+\.\d+/.test(spec))
    throw new Error(`${name}: ${parentPath} asks for "${spec}", not an exact version`);
  const platform = platformOf(name);
  if (!platform) throw new Error(`${name}: cannot tell its platform from its name`);
  pkgs[`node_modules/${name}`] = { version: spec, ...platform, optional: true };
  console.log(`added node_modules/${name}@${spec} ${JSON.stringify(platform)}`);
}
lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(missing.length ? `${missing.length} entries added.` : 'Nothing missing.');
