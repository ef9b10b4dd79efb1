/**
 * Validates providers.yaml and, when given, connections files, without secrets or a
 * database: run it before deploying (and in CI).
 *
 *   npx tsx lib/providers/generic/check-config-cli.ts [connections.yaml ...]
 *
 * Exits 1 with messages naming the file, the path inside it and the problem.
 */
import { errorMessage } from '../../errors';

async function main(files: string[]): Promise<number> {
  try {
    // Importing the registry loads and validates the catalog.
    const { createRegistry } = await import('../registry');
    const { GENERIC_PROVIDERS } = await import('./index');
    const { defaultCatalogPath, loadCatalog } = await import('./catalog');
    const { checkAdapterCatalog, checkConnectionsFile } = await import('./validate');
    const { ADAPTERS } = await import('../adapters');
    const registry = createRegistry();
    const mismatches = checkAdapterCatalog(loadCatalog(defaultCatalogPath()), ADAPTERS);
    if (mismatches.length > 0) throw new Error(mismatches.join('; '));
    console.log(`${defaultCatalogPath()}: ${GENERIC_PROVIDERS.length} providers OK`);
    for (const f of files) {
      const { connections } = checkConnectionsFile(f, registry, {
        externalIdSecret: process.env.OPTIINFRA_EXTERNAL_ID_SECRET || undefined,
      });
      console.log(`${f}: ${connections} connections OK`);
    }
    return 0;
  } catch (err) {
    console.error(errorMessage(err));
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
