import { defineConfig } from 'vite';

/**
 * The console: Preact through esbuild's automatic JSX runtime (no plugin needed), one chunk
 * per page (lazy imports in src/main.tsx). `npm start` builds it into web/dist when missing
 * or stale (lib/local/web.ts); the stack builds it with VITE_API_URL set (stacks/Console.ts).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The manifest lets the bundle-budget test follow the initial load's chunks.
    manifest: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
