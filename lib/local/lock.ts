import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataFolderLockedError } from '../errors';

/**
 * Embedded ClickHouse binds its data folder to one process. We hold our own lock file in
 * the folder so that a second process (a second `npm start`, `npm run create-key`) can say
 * plainly who holds it and what to do, instead of failing with the engine's error.
 */
export interface LockInfo {
  pid: number;
  port?: number;
  startedAt: string;
  command: string;
}

export interface DataLock {
  update(info: Partial<LockInfo>): void;
  release(): void;
}

const lockPath = (dataDir: string) => join(dataDir, 'optiinfra.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the folder now, or null (a lock left by a dead process counts as free). */
export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return info.pid !== process.pid && alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

export function acquireDataLock(dataDir: string, command: string): DataLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  let info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return {
        update(extra) {
          info = { ...info, ...extra };
          writeFileSync(path, JSON.stringify(info), { mode: 0o600 });
        },
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(dataDir);
      if (holder) throw new DataFolderLockedError(lockedMessage(dataDir, holder));
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new DataFolderLockedError(`Could not lock the data folder ${dataDir}.`);
}

/** What to tell a user whose command found the folder in use. */
export function lockedMessage(dataDir: string, holder: LockInfo): string {
  const where = holder.port ? ` and serving http://localhost:${holder.port}` : '';
  const api = holder.port
    ? `\nWhile it runs, use its API instead, for example:\n  curl -X POST http://localhost:${holder.port}/api/v1/keys \\\n    -H "Authorization: Bearer $(cat ${join(dataDir, 'admin-key')})" \\\n    -H 'content-type: application/json' -d '{"customer_id":"acme"}'`
    : '\nStop it first (Ctrl-C in its terminal), or point this command at another folder with OPTIINFRA_DATA_DIR.';
  return `The data folder ${dataDir} is in use by "${holder.command}" (pid ${holder.pid})${where}. Embedded ClickHouse allows one process per folder.${api}`;
}
