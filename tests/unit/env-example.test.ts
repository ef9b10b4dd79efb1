import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** `.env.example` lists every variable the configuration reads (issue: "lists every variable"). */
describe('.env.example', () => {
  it('mentions every configuration key lib/config/schema.ts reads, and the ExternalId secret', () => {
    const schema = readFileSync(new URL('../../lib/config/schema.ts', import.meta.url), 'utf8');
    const keys = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1] as string);
    expect(keys.length).toBeGreaterThan(20);
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const missing = [...keys, 'OPTIINFRA_EXTERNAL_ID_SECRET'].filter(
      (k) => !new RegExp(`^# ${k}=`, 'm').test(example),
    );
    expect(missing).toEqual([]);
  });
});
