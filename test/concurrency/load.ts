/**
 * The write load and the checks shared by the thread and process concurrency tests, and by the writer script
 * (load-writer.ts) that runs the load inside a worker thread or a child process.
 *
 * Each writer stores WRITES_PER_WRITER distinct keys `w<writer>-<i>` and, after each one, overwrites the one key
 * `shared`. Every value repeats its writer and index through a `tag` field a few hundred bytes to a few KB long, so a
 * value torn or mixed from two writes cannot pass `problemWith`.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Test } from 'tap';
import type { EngineName, HashStash } from '../../src/index.js';

/** The persistent local engines these tests cover. */
export const PERSISTENT_ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite'];

export const WRITERS = 4;
export const WRITES_PER_WRITER = 500;
export const SHARED_KEY = 'shared';

/** What a parent hands one writer (as workerData, or as JSON in argv[2]). */
export interface WriterJob {
  root: string;
  engine: EngineName;
  writer: number;
}

export const distinctKey = (writer: number, i: number): string => `w${writer}-${i}`;

export function distinctValue(writer: number, i: number) {
  return { writer, i, tag: `${writer}:${i};`.repeat(1 + (i % 40)) };
}

export function sharedValue(writer: number, i: number) {
  return { writer, i, tag: `${writer}/${i}|`.repeat(400) };
}

/**
 * Writer `writer`'s whole load. Even writers use `await stash.set`, odd writers the synchronous view, so both write
 * paths of each engine (for lmdb: batched async commits and `putSync`) run against each other.
 */
export async function writeLoad(stash: HashStash, writer: number): Promise<void> {
  const useSync = writer % 2 === 1;
  for (let i = 0; i < WRITES_PER_WRITER; i++) {
    if (useSync) {
      stash.sync.set(distinctKey(writer, i), distinctValue(writer, i));
      stash.sync.set(SHARED_KEY, sharedValue(writer, i));
    } else {
      await stash.set(distinctKey(writer, i), distinctValue(writer, i));
      await stash.set(SHARED_KEY, sharedValue(writer, i));
    }
  }
}

const isIndex = (n: unknown, bound: number): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) < bound;

/** Why an entry read back is not one some writer wrote, or undefined when it is. */
export function problemWith(key: unknown, value: unknown): string | undefined {
  if (key === SHARED_KEY) {
    const { writer, i } = (value ?? {}) as { writer?: unknown; i?: unknown };
    if (isIndex(writer, WRITERS) && isIndex(i, WRITES_PER_WRITER) && isDeepStrictEqual(value, sharedValue(writer, i)))
      return undefined;
    return `'${SHARED_KEY}' holds a value no writer wrote: ${preview(value)}`;
  }
  const match = typeof key === 'string' ? /^w(\d+)-(\d+)$/.exec(key) : null;
  if (!match) return `unexpected key ${preview(key)}`;
  const writer = Number(match[1]);
  const i = Number(match[2]);
  if (!isIndex(writer, WRITERS) || !isIndex(i, WRITES_PER_WRITER)) return `unexpected key ${preview(key)}`;
  if (!isDeepStrictEqual(value, distinctValue(writer, i)))
    return `'${match[0]}' holds a wrong value: ${preview(value)}`;
  return undefined;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

export interface ReadReport {
  /** Full iterations of the stash, each started while some writer was still writing. */
  passes: number;
  entriesRead: number;
  /** The first problems seen (at most 20): bad values, unknown keys, keys given twice in one pass, reads that threw. */
  problems: string[];
}

/**
 * Reads the stash over and over while `writing()` says writers are at it: a full `for await` iteration, then a
 * `get` of the shared key, each value checked. A read that throws is a problem too (recorded, never rejected, as
 * nobody awaits the result until the writers are done). Yields a macrotask between passes so the caller's worker
 * and child-process events (which end `writing()`) are delivered.
 */
export async function readWhileWriting(stash: HashStash<string, unknown>, writing: () => boolean): Promise<ReadReport> {
  const report: ReadReport = { passes: 0, entriesRead: 0, problems: [] };
  const note = (problem: string) => {
    if (report.problems.length < 20) report.problems.push(problem);
  };
  while (writing()) {
    const seen = new Set<string>();
    try {
      for await (const [key, value] of stash) {
        report.entriesRead++;
        const problem = problemWith(key, value);
        if (problem) note(`pass ${report.passes}: ${problem}`);
        if (seen.has(key)) note(`pass ${report.passes}: key ${preview(key)} given twice in one iteration`);
        seen.add(key);
      }
      const shared = await stash.get(SHARED_KEY);
      if (shared !== undefined) {
        const problem = problemWith(SHARED_KEY, shared);
        if (problem) note(`get: ${problem}`);
      }
    } catch (error) {
      note(`pass ${report.passes} threw ${String(error)}`);
    }
    report.passes++;
    await nextMacrotask();
  }
  return report;
}

/**
 * The state after every writer finished: exactly WRITERS × WRITES_PER_WRITER distinct keys plus `shared`, each
 * distinct key with its exact value, and `shared` holding one writer's last write (each writer's last operation
 * is writing `shared` with the last index, so whoever wrote last left that).
 */
export async function verifyFinalState(t: Test, stash: HashStash): Promise<void> {
  t.equal(await stash.size(), WRITERS * WRITES_PER_WRITER + 1, 'size is every distinct key plus the shared one');
  const keys: string[] = [];
  for (let writer = 0; writer < WRITERS; writer++) {
    for (let i = 0; i < WRITES_PER_WRITER; i++) keys.push(distinctKey(writer, i));
  }
  const values = await stash.getMany(keys);
  const wrong = keys.filter((key, n) => problemWith(key, values[n]) !== undefined);
  t.strictSame(wrong.slice(0, 20), [], 'every distinct key reads back its exact value');
  t.equal(wrong.length, 0, 'count of distinct keys with a missing or wrong value');

  const shared = (await stash.get(SHARED_KEY)) as { writer: number; i: number } | undefined;
  t.equal(problemWith(SHARED_KEY, shared), undefined, 'shared holds a value some writer wrote');
  t.equal(shared?.i, WRITES_PER_WRITER - 1, 'shared holds the last write of the writer that wrote last');

  let count = 0;
  const problems: string[] = [];
  for await (const [key, value] of stash) {
    count++;
    const problem = problemWith(key, value);
    if (problem && problems.length < 20) problems.push(problem);
  }
  t.equal(count, WRITERS * WRITES_PER_WRITER + 1, 'a final iteration gives every entry once');
  t.strictSame(problems, [], 'and every entry it gives is well-formed');
}
