/**
 * A child process for crash.test.ts: `node crash-writer.js '<job as JSON>'` writes `k<i>` → i for i = start, start + 1, …,
 * one write at a time, and after each write returns it prints `i` on stdout. The parent kills it with SIGKILL
 * part-way; every number it printed is a write the library acknowledged.
 *
 * `mode: 'async'` awaits `stash.set`; `mode: 'sync'` calls `stash.sync.set`. stdout is written with a synchronous
 * `writeSync`, so a number is printed before the next write starts and never after it.
 */
import { writeSync } from 'node:fs';
import { HashStash, type EngineName } from '../../src/index.js';

export interface CrashJob {
  root: string;
  engine: EngineName;
  mode: 'async' | 'sync';
  /** The first i to write. */
  start: number;
}

/** A bound, so an orphaned writer (its parent gone before killing it) stops on its own. */
const MAX_WRITES = 1_000_000;

/**
 * stdout is a non-blocking pipe: when the parent reads slowly (a loaded machine), the pipe fills and `writeSync`
 * throws EAGAIN. Waiting for room keeps the rule "printed before the next write starts".
 */
function printSync(line: string): void {
  for (;;) {
    try {
      writeSync(1, line);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

const job = JSON.parse(process.argv[2]) as CrashJob;
const stash = new HashStash({ root: job.root, engine: job.engine });
try {
  for (let i = job.start; i < job.start + MAX_WRITES; i++) {
    if (job.mode === 'sync') stash.sync.set(`k${i}`, i);
    else await stash.set(`k${i}`, i);
    printSync(`${i}\n`);
  }
} catch (error) {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stash.close();
}
