import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../fixtures', import.meta.url));

/** A fixture file as text (tests/fixtures/<provider>/<name>). */
export function fixtureText(provider: string, name: string): string {
  return readFileSync(join(ROOT, provider, name), 'utf8');
}

/** A JSON fixture, parsed afresh on every call so tests may change their copy. */
export function fixture<T = Record<string, unknown>>(provider: string, name: string): T {
  return JSON.parse(fixtureText(provider, name)) as T;
}
