/**
 * The load the follow tests run: a writer process stores BATCHES batches with one `setMany` each, while a follower
 * process (a `readonly: true, follow: true` stash) reads.
 *
 * Batch `b` holds HOT keys `['hot', i]` rewritten by every batch, and FRESH new keys `['fresh', b, i]`, every value
 * naming its batch: `{ batch: b, pad }`. One `getMany` of the hot keys and of some batch's fresh keys reads one
 * snapshot, so in it every hot value names the same batch `h` (else a batch was torn), and the fresh keys of a batch
 * are all there when it is `h` or earlier, none when it is later.
 */
import { randomBytes } from 'node:crypto';

export const HOT = 100;
export const FRESH = 900;

export interface FollowJob {
  root: string;
  engine: 'lmdb' | 'sqlite';
  batches: number;
  /** Characters of padding per fresh value: the writer's bytes, so lmdb's map has to grow. */
  pad: number;
  /** sqlite: the writer runs `PRAGMA wal_checkpoint(TRUNCATE)` after every this many batches. */
  checkpointEvery?: number;
  /** The follower stops with a failure after this many ms without seeing the last batch. */
  deadlineMs?: number;
  /**
   * How the follower reads: `'async'` awaits `stash.getMany` and waits a macrotask between reads, as a program that
   * polls does; `'sync'` calls `stash.sync.getMany` in a synchronous loop that sleeps with `Atomics.wait` and never
   * returns to the event loop (where lmdb-js would keep one read transaction, and one snapshot, forever).
   */
  mode?: 'async' | 'sync';
}

/** The stash options both processes use (the follower adds `readonly` and `follow`). */
export const stashOptions = (job: FollowJob) => ({ root: job.root, engine: job.engine, compress: 'raw' }) as const;

export type Key = readonly ['hot', number] | readonly ['fresh', number, number];
export interface Value {
  batch: number;
  pad?: string;
}

export const hotKeys = (): Key[] => Array.from({ length: HOT }, (_, i) => ['hot', i] as const);
export const freshKeys = (batch: number): Key[] =>
  Array.from({ length: FRESH }, (_, i) => ['fresh', batch, i] as const);

export function batchEntries(batch: number, pad: number): [Key, Value][] {
  const text = randomBytes(Math.ceil(pad / 2))
    .toString('hex')
    .slice(0, pad);
  return [
    ...hotKeys().map((key): [Key, Value] => [key, { batch }]),
    ...freshKeys(batch).map((key, i): [Key, Value] => [key, { batch, pad: `${i}:${text}` }]),
  ];
}
