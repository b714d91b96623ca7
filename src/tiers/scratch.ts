import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { currentProcess, isGone } from '../tmp/process-identity.js';

/**
 * Scratch folders of disk tiers: `<tmp>/hashstash-tier-<pid>-<start time>-<thread>-<random>`, one per stash object,
 * removed when it closes. A process that died first leaves its folders; the first disk tier a process opens removes
 * those of processes that are gone (the start time tells a reused pid from its old owner, as for temporary stashes).
 * Each is a folder of the temp folder itself, so that removing one never races another process creating its own
 * under a shared parent.
 */
const PREFIX = 'hashstash-tier-';
const NAME = /^hashstash-tier-(\d+)-(\d+|x)-/;

/** A new scratch folder's path for tier `index` (nothing is created). */
export function scratchFolder(index: number): string {
  const { pid, startTime } = currentProcess();
  const owner = `${pid}-${startTime ?? 'x'}-${threadId}`;
  return join(tmpdir(), `${PREFIX}${owner}-${randomBytes(6).toString('hex')}`, `tier${index}`);
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
        const match = NAME.exec(name);
        if (!match) return;
        const [, pid, startTime] = match;
        if (isGone({ ...currentProcess(), pid: Number(pid), startTime: startTime === 'x' ? null : startTime }))
          await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
      }),
    );
  })();
  return swept;
}
