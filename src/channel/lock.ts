import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A lock on a folder shared by several processes of one machine (a
 * bioconda-style shared staging channel): `mkdir` is atomic, and the owner's
 * pid inside lets a lock left by a dead process be taken over. Between
 * machines sharing the folder a pid means nothing: don't share it that way.
 */
export async function withDirectoryLock<T>(dir: string, work: () => Promise<T>, onWait?: (holder: string) => void): Promise<T> {
  const lockDir = join(dir, '.nx-conda.lock');
  mkdirSync(dir, { recursive: true });
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(lockDir);
      if (holder !== undefined && !isAlive(holder)) {
        // Several waiters may see the same dead holder: only one rename of the
        // stale lock succeeds, so only one of them clears it.
        const stale = `${lockDir}.stale-${process.pid}`;
        try {
          renameSync(lockDir, stale);
          rmSync(stale, { recursive: true, force: true });
        } catch {
          // Another waiter took it over first; try again.
        }
        continue;
      }
      if (!announced) {
        onWait?.(holder === undefined ? 'another build' : `process ${holder}`);
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function readHolder(lockDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
