/**
 * One writer of a fresh-store round (fresh-store.ts): `node writer.js '<job as JSON>'`.
 *
 * It loads the library, says `ready`, and waits for `go` on stdin, so every writer of a round opens the brand-new stash
 * at the same moment. It then awaits `stash.set([writer, i], { pad })` for each i, each inside try/catch, and prints
 * one line per outcome on stdout before starting the next write:
 *   `a <i> <pad length>`        the set resolved: an acknowledged write
 *   `f <i> <typed> <message>`   the set rejected; typed is 1 for a HashStashError
 * then closes the stash and prints `done`. Anything else (an unhandled rejection, a native crash) ends the process
 * before `done`, and the parent counts the writer as crashed.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { HashStash, HashStashError, type EngineName } from '../../src/index.js';

export interface WriterJob {
  root: string;
  engine: EngineName;
  writer: number;
  writes: number;
  maxPad: number;
  /** Seeds the pad lengths, so a failing round can be replayed. */
  seed: number;
}

/** Deterministic pad lengths from 0 to maxPad (mulberry32). */
export function padLengths(seed: number, count: number, maxPad: number): number[] {
  let state = seed >>> 0;
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    lengths.push(Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (maxPad + 1)));
  }
  return lengths;
}

/** stdout is a pipe the parent may read slowly on a loaded machine: wait out EAGAIN rather than lose a line. */
function print(line: string): void {
  for (;;) {
    try {
      writeSync(1, `${line}\n`);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

async function main(job: WriterJob): Promise<void> {
  const lengths = padLengths(job.seed, job.writes, job.maxPad);
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) =>
    lines.once('line', () => {
      lines.close();
      resolve();
    }),
  );
  print('ready');
  await go;
  const stash = new HashStash({ root: job.root, engine: job.engine });
  for (let i = 0; i < job.writes; i++) {
    const length = lengths[i];
    try {
      await stash.set([job.writer, i], { pad: 'x'.repeat(length) });
      print(`a ${i} ${length}`);
    } catch (error) {
      const message = String((error as Error)?.message ?? error)
        .replace(/\s+/g, ' ')
        .slice(0, 300);
      print(`f ${i} ${error instanceof HashStashError ? 1 : 0} ${(error as Error)?.name}: ${message}`);
    }
  }
  await stash.close();
  print('done');
}

await main(JSON.parse(process.argv[2]) as WriterJob);
