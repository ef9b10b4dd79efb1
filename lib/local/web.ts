/**
 * The web console under `npm start`: built into web/dist when missing or stale (a content
 * hash of web/'s sources, kept next to the build), in a child process so the API answers
 * /health meanwhile, then served at `/` with a single-page-app fallback. The API's own
 * paths (/api, /health, /docs, /openapi.json) never reach this module.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Logger } from '../logger';

/** Paths that belong to the API even when no route matches (a 404 there stays JSON). */
export const API_PREFIXES = ['/api/', '/api', '/health', '/docs', '/openapi.json'] as const;

const HASH_FILE = '.source-hash';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** web/'s source files whose content decides the build (not dist, not node_modules). */
function sourceFiles(webDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(webDir);
  return out.sort();
}

/** sha256 over web/'s source paths and contents. */
export function webSourceHash(webDir: string): string {
  const h = createHash('sha256');
  for (const f of sourceFiles(webDir)) {
    h.update(relative(webDir, f).split(sep).join('/'));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

export function isWebBuildCurrent(webDir: string): boolean {
  const dist = join(webDir, 'dist');
  const stamp = join(dist, HASH_FILE);
  return (
    existsSync(join(dist, 'index.html')) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8').trim() === webSourceHash(webDir)
  );
}

export interface WebBuild {
  readonly dir: string;
  /** 'ready' once dist is current; 'failed' keeps the reason for the page it serves. */
  state(): { status: 'building' | 'ready' | 'failed'; error?: string };
  done: Promise<void>;
}

/**
 * Builds web/ with Vite (the project's own, in a child process) when dist is missing or
 * stale; resolves at once when it is current.
 */
export function ensureWebBuilt(opts: { root: string; logger?: Logger }): WebBuild {
  const webDir = resolve(opts.root, 'web');
  const dist = join(webDir, 'dist');
  let status: 'building' | 'ready' | 'failed' = 'building';
  let error: string | undefined;
  const state = () => ({ status, ...(error ? { error } : {}) });
  if (isWebBuildCurrent(webDir)) {
    status = 'ready';
    return { dir: dist, state, done: Promise.resolve() };
  }
  const hash = webSourceHash(webDir);
  const vite = join(opts.root, 'node_modules', 'vite', 'bin', 'vite.js');
  opts.logger?.info('building the web console', { dir: webDir });
  const done = new Promise<void>((res) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', join(webDir, 'vite.config.ts')], {
      cwd: webDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('error', (err) => {
      status = 'failed';
      error = err.message;
      res();
    });
    child.on('exit', (code) => {
      if (code === 0 && existsSync(join(dist, 'index.html'))) {
        writeFileSync(join(dist, HASH_FILE), `${hash}\n`);
        status = 'ready';
        opts.logger?.info('web console built', { dir: dist });
      } else {
        status = 'failed';
        error = `vite build exited ${code}: ${out.slice(-2000)}`;
        opts.logger?.error('web console build failed', { error });
      }
      res();
    });
  });
  return { dir: dist, state, done };
}

export function isApiPath(pathname: string): boolean {
  return API_PREFIXES.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`));
}

const PAGE = (title: string, body: string, refresh: boolean) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${
    refresh ? '<meta http-equiv="refresh" content="2">' : ''
  }</head><body style="font-family:system-ui;padding:2rem"><main><h1>${title}</h1><p>${body}</p></main></body></html>`;

/**
 * Serves the console for a GET/HEAD outside the API: the file if it exists under dist,
 * else index.html (client-side routes). Returns false when the request is not its to answer.
 */
export function serveWeb(req: IncomingMessage, res: ServerResponse, url: URL, web: WebBuild): boolean {
  const method = (req.method ?? 'GET').toUpperCase();
  if ((method !== 'GET' && method !== 'HEAD') || isApiPath(url.pathname)) return false;
  const s = web.state();
  if (s.status !== 'ready') {
    const building = s.status === 'building';
    res.writeHead(building ? 503 : 500, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '2' });
    res.end(
      PAGE(
        building ? 'The console is being built…' : 'The console could not be built',
        building
          ? 'This page reloads by itself. The API already answers at /api and /health.'
          : `Run <code>npx vite build --config web/vite.config.ts</code> to see why. The API still answers at /api.`,
        building,
      ),
    );
    return true;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    pathname = '/';
  }
  const file = resolve(web.dir, `.${pathname}`);
  const inside = file === web.dir || file.startsWith(web.dir + sep);
  let target = join(web.dir, 'index.html');
  if (inside && existsSync(file) && statSync(file).isFile() && !file.endsWith(HASH_FILE)) target = file;
  else if (extname(pathname) && pathname.startsWith('/assets/')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found');
    return true;
  }
  const immutable = target.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (method === 'HEAD') res.end();
  else createReadStream(target).pipe(res);
  return true;
}
