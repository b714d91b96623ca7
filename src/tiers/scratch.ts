import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Scratch folders of disk tiers: `<tmp>/hashstash-tier-<pid>-<thread>-<random>`, one per stash object, removed when it
 * closes. A process that died first leaves its folders; the first disk tier a process opens removes those of dead
 * processes. Each is a folder of the temp folder itself, so that removing one never races another process creating
 * its own under a shared parent.
 */
const PREFIX = 'hashstash-tier-';

/** A new scratch folder's path for tier `index` (nothing is created). */
export function scratchFolder(index: number): string {
  return join(tmpdir(), `${PREFIX}${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`, `tier${index}`);
}

export async function removeScratch(folder: string): Promise<void> {
  // The stash object's folder, one level above the tier's.
  await rm(join(folder, '..'), { recursive: true, force: true });
}

let swept: Promise<void> | undefined;

/** Removes the scratch folders of processes that are gone, once per process. */
export function sweepScratch(): Promise<void> {
  swept ??= (async () => {
    const root = tmpdir();
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    await Promise.all(
      names.map(async (name) => {
        if (!name.startsWith(PREFIX)) return;
        const pid = Number(/^(\d+)-/.exec(name.slice(PREFIX.length))?.[1]);
        if (Number.isInteger(pid) && pid !== process.pid && !alive(pid))
          await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
      }),
    );
  })();
  return swept;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
