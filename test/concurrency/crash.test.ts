/**
 * A writer killed with SIGKILL in the middle of its writes leaves a stash that opens, reads back whole, and holds
 * every write the library acknowledged before the kill.
 *
 * "Acknowledged" means `await stash.set(…)` resolved or `stash.sync.set(…)` returned, with each engine's default
 * durability. What that promises is survival of a crash of the writing PROCESS: the write has reached the operating
 * system (lmdb: the transaction is committed and flushed to disk;
 * pairtree: the value file is renamed into place, without fsync; sqlite: the transaction is committed to its WAL
 * file, which `synchronous = NORMAL` fsyncs only at checkpoints). Only lmdb's promise also covers a power loss or kernel crash, which this test cannot produce.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HashStash, type EngineName } from '../../src/index.js';
import type { CrashJob } from './crash-writer.js';
import { killAndWait } from './child.js';
import { PERSISTENT_ENGINES } from './load.js';

const writerScript = fileURLToPath(new URL('./crash-writer.js', import.meta.url));
/** The writer is killed once this many writes have been acknowledged (a few more may be in the pipe by then). */
const KILL_AFTER = 300;
/** Kill-and-check rounds over one stash. */
const ROUNDS = 3;

interface CrashRun {
  /** The numbers the writer printed: its acknowledged writes, in order. */
  acknowledged: number[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Collects what the writer prints and kills it once it acknowledged KILL_AFTER writes. */
function killMidLoop(child: ChildProcessWithoutNullStreams): Promise<CrashRun> {
  const acknowledged: number[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    acknowledged.push(Number(line));
    if (acknowledged.length === KILL_AFTER) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ acknowledged, code, signal, stderr }));
  });
}

/** better-sqlite3's `PRAGMA integrity_check` on every SQLite file in `folder` (found by the file header). */
function sqliteIntegrity(folder: string): Record<string, string[]> {
  type Database = { pragma(source: string): { integrity_check: string }[]; close(): void };
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (
    file: string,
    options: { readonly: boolean; fileMustExist: boolean },
  ) => Database;
  const header = Buffer.from('SQLite format 3\0', 'latin1');
  const results: Record<string, string[]> = {};
  for (const name of readdirSync(folder)) {
    const file = join(folder, name);
    const head = Buffer.alloc(header.length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (!head.equals(header)) continue;
    const db = new Database(file, { readonly: false, fileMustExist: true });
    try {
      results[name] = db.pragma('integrity_check').map((row) => row.integrity_check);
    } finally {
      db.close();
    }
  }
  return results;
}

/** Every entry of the stash, read by iteration; `failure` is what the iteration threw, if it did. */
async function readAll(stash: HashStash): Promise<{ found: Map<unknown, unknown>; failure: unknown }> {
  const found = new Map<unknown, unknown>();
  try {
    for await (const [key, value] of stash) found.set(key, value);
    return { found, failure: undefined };
  } catch (error) {
    return { found, failure: error };
  }
}

/**
 * ROUNDS times over the same stash: a writer starts where the last one stopped, is killed mid-loop, and the stash is
 * checked. Later rounds crash a stash that already recovered from a crash.
 */
async function crashAndCheck(t: Test, engine: EngineName, mode: CrashJob['mode']): Promise<void> {
  // Registered before t.testdir(), so it runs before the test folder is removed.
  let child: ChildProcessWithoutNullStreams | undefined;
  let stash: HashStash | undefined;
  t.teardown(async () => {
    if (child) await killAndWait(child);
    await stash?.close();
  });
  const root = t.testdir();
  /** Acknowledged writes of all rounds: they must be there. */
  const acknowledged = new Map<string, number>();
  /** The write each killed writer had started but not acknowledged: it may be there, whole, or absent. */
  const inFlight = new Map<string, number>();
  let start = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const job: CrashJob = { root, engine, mode, start };
    child = spawn(process.execPath, [writerScript, JSON.stringify(job)]);
    const run = await killMidLoop(child);
    const count = run.acknowledged.length;
    t.equal(
      run.signal,
      'SIGKILL',
      `round ${round}: the writer was killed mid-loop (code ${run.code}, stderr: ${run.stderr.trim() || 'empty'})`,
    );
    t.ok(count >= KILL_AFTER, `round ${round}: it acknowledged ${count} writes before dying`);
    t.ok(
      run.acknowledged.every((n, i) => n === start + i),
      `round ${round}: acknowledged writes are k${start}, k${start + 1}, … in order`,
    );
    for (const n of run.acknowledged) acknowledged.set(`k${n}`, n);
    inFlight.set(`k${start + count}`, start + count);

    stash = new HashStash({ root, engine });
    const { found, failure } = await readAll(stash);
    t.equal(failure, undefined, `round ${round}: the stash opens and every entry iterates and decodes`);
    t.equal(await stash.size(), found.size, `round ${round}: size agrees with the iteration`);
    const lost = [...acknowledged].filter(([key, n]) => found.get(key) !== n).map(([key]) => key);
    t.strictSame(lost, [], `round ${round}: every acknowledged write so far is there with its value`);
    const extra = [...found].filter(([key]) => !acknowledged.has(key as string));
    t.ok(
      extra.every(([key, value]) => inFlight.has(key as string) && inFlight.get(key as string) === value),
      `round ${round}: beyond them, only writes in flight at a kill may be there, whole (found ${JSON.stringify(extra)})`,
    );
    if (engine === 'sqlite') {
      const checks = sqliteIntegrity(stash.path);
      t.ok(Object.keys(checks).length >= 1, `round ${round}: the stash folder holds a SQLite database`);
      for (const [file, result] of Object.entries(checks))
        t.strictSame(result, ['ok'], `round ${round}: PRAGMA integrity_check on ${file}`);
    }
    await stash.close();
    stash = undefined;
    start += count + 1;
  }

  stash = new HashStash({ root, engine });
  await stash.set('after the crashes', mode);
  t.equal(await stash.get('after the crashes'), mode, 'the stash takes new writes');
  const [lastKey, lastValue] = [...acknowledged].at(-1)!;
  t.equal(await stash.get(lastKey), lastValue, 'and keeps the old ones');
}

for (const engine of PERSISTENT_ENGINES) {
  t.test(`${engine}: a writer killed with SIGKILL loses no acknowledged write`, async (t) => {
    t.setTimeout(60_000);
    t.test('writes by await stash.set', (t) => crashAndCheck(t, engine, 'async'));
    t.test('writes by stash.sync.set', (t) => crashAndCheck(t, engine, 'sync'));
  });
}
