import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadApplicationsFile } from '../../../lib/applications/config';
import { IngestBatchSchema } from '../../../lib/applications/ingest';
import { createApiKey } from '../../../lib/auth/keys';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { ProviderDefinition } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { parseConnection } from '../../../lib/connections/settings';
import { defaultCatalogPath, parseCatalog } from '../../../lib/providers/generic/catalog';
import { createRuntime } from '../../../lib/runtime';
import { ROOT } from '../../helpers/npm-start';
import { silentLogger, testStore } from '../../helpers/store';

/**
 * Issue #17: a documented configuration must never be one that fails. Every YAML and JSON
 * example in README.md and docs/*.md is taken out of the Markdown and checked with what the
 * product itself uses on such a document — a connections file through the runtime `npm start`
 * builds and the one settings parse a run makes; a catalog through the catalog loader; an
 * applications file through its loader; an API body through the route's schema. Secrets that
 * examples reference (`env:NAME`) get dummy values, as a user's environment would hold them.
 */

interface CatalogDoc {
  query_sets?: Record<string, unknown>;
  providers: { id: string }[];
}

interface Example {
  file: string;
  line: number;
  lang: 'yaml' | 'json';
  text: string;
}

function examples(): Example[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith('.md'),
  );
  const out: Example[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/^([ \t]*)```(yaml|yml|json)\n([\s\S]*?)^\1```/gm)) {
      const indent = (m[1] ?? '').length;
      out.push({
        file,
        line: text.slice(0, m.index).split('\n').length,
        lang: m[2] === 'json' ? 'json' : 'yaml',
        // A block inside a list item is indented with it.
        text: (m[3] ?? '')
          .split('\n')
          .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
          .join('\n'),
      });
    }
  }
  return out;
}

const ALL = examples();
const dir = mkdtempSync(join(tmpdir(), 'optiinfra-doc-examples-'));
const envRefs = (text: string) =>
  Object.fromEntries([...text.matchAll(/env:([A-Z][A-Z0-9_]*)/g)].map((m) => [m[1], `dummy-${m[1]}`]));

let store: Store;
beforeAll(async () => {
  store = await testStore();
});

/** What a document is, from its shape; each kind is checked by what the product uses on it. */
function kindOf(e: Example): string {
  const doc = e.lang === 'json' ? JSON.parse(e.text) : parseYaml(e.text);
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    if ('connections' in doc) return 'connections-file';
    if ('applications' in doc) return 'applications-file';
    if ('query_sets' in doc || 'providers' in doc) return 'catalog';
    if ('samples' in doc) return 'samples-body';
    if ('Statement' in doc) return 'iam-policy';
    if ('key' in doc && 'key_id' in doc) return 'key-response';
  }
  if (Array.isArray(doc) && doc.every((d) => d && typeof d === 'object' && 'id' in d && 'category' in d))
    return 'catalog-entries';
  return 'unknown';
}

describe('documentation examples (README.md, docs/*.md) are valid for the product', () => {
  it('finds the examples', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(10);
  });

  it.each(ALL.map((e) => [`${e.file}:${e.line}`, e] as const))('%s', async (_where, e) => {
    const kind = kindOf(e);
    switch (kind) {
      case 'connections-file': {
        const path = join(dir, `${e.file.replace(/\W/g, '_')}_${e.line}.yaml`);
        writeFileSync(path, e.text);
        const env = {
          OPTIINFRA_CONNECTIONS_FILE: path,
          OPTIINFRA_EXTERNAL_ID_SECRET: 'doc-example-external-id-secret-0123456789',
          ...envRefs(e.text),
        };
        // The runtime npm start builds: validates the file at start-up (file, entry, field named).
        const rt = await createRuntime(parseConfig(env), {
          mode: 'lambda',
          env,
          store,
          logger: silentLogger(),
        });
        const fromFile = (await rt.connections.list()).filter((c) => c.source === 'config');
        expect(fromFile.length).toBe((parseYaml(e.text) as { connections: unknown[] }).connections.length);
        // …and the one parse every run makes of each connection's settings.
        for (const c of fromFile) {
          const parsed = parseConnection(rt.registry.get(c.provider) as ProviderDefinition, c);
          expect(parsed.ok ? 'ok' : parsed.error).toBe('ok');
        }
        return;
      }
      case 'applications-file': {
        const path = join(dir, `${e.file.replace(/\W/g, '_')}_${e.line}.yaml`);
        writeFileSync(path, e.text);
        expect(loadApplicationsFile(path, envRefs(e.text)).length).toBeGreaterThan(0);
        return;
      }
      case 'catalog': {
        // An excerpt of providers.yaml: the shipped catalog with the example's query sets and
        // providers put in (replacing those of the same id) must load.
        const shipped = parseYaml(readFileSync(defaultCatalogPath(), 'utf8')) as CatalogDoc;
        const example = parseYaml(e.text) as CatalogDoc;
        const ids = new Set((example.providers ?? []).map((p) => p.id));
        const merged = {
          ...shipped,
          ...example,
          query_sets: { ...shipped.query_sets, ...example.query_sets },
          providers: [...shipped.providers.filter((p) => !ids.has(p.id)), ...(example.providers ?? [])],
        };
        expect(parseCatalog(stringifyYaml(merged), `${e.file}:${e.line}`).version).toBe(1);
        return;
      }
      case 'catalog-entries': {
        // An entry to add to providers.yaml: the shipped catalog with it must still load.
        const shipped = parseYaml(readFileSync(defaultCatalogPath(), 'utf8')) as { providers: unknown[] };
        const entries = parseYaml(e.text) as unknown[];
        const merged = stringifyYaml({ ...shipped, providers: [...shipped.providers, ...entries] });
        expect(parseCatalog(merged, `${e.file}:${e.line}`).providers.length).toBe(
          shipped.providers.length + entries.length,
        );
        return;
      }
      case 'samples-body':
        expect(IngestBatchSchema.safeParse(JSON.parse(e.text)).error).toBeUndefined();
        return;
      case 'iam-policy': {
        const policy = JSON.parse(e.text) as {
          Version: string;
          Statement: { Effect: string; Action: string[] }[];
        };
        expect(policy.Version).toBe('2012-10-17');
        for (const s of policy.Statement) {
          expect(s.Effect).toMatch(/^(Allow|Deny)$/);
          for (const a of [s.Action].flat()) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z*]+$/);
        }
        return;
      }
      case 'key-response': {
        // What createApiKey (the admin-key function and POST /api/v1/keys) really answers.
        const body = JSON.parse(e.text) as Record<string, unknown>;
        const real = (await createApiKey(createWriter(store), {
          admin: true,
          label: 'doc',
        })) as unknown as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(Object.keys(real).sort());
        for (const [k, v] of Object.entries(real)) expect(typeof body[k]).toBe(typeof v);
        return;
      }
      default:
        throw new Error(
          `${e.file}:${e.line}: a ${e.lang} example this test does not know how to check — teach kindOf() what it is and check it with what the product uses on it`,
        );
    }
  });
});
