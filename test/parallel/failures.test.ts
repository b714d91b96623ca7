import t from 'tap';
import { HashStash, MapItemError, WorkerCrashError } from '../../src/index.js';
import { WORK } from '../fixtures/parallel/helpers.js';

const open = (root: string) => new HashStash({ root, engine: 'lmdb' });

/** Reads the map with for-await, collecting what it yields before it throws. */
async function drain<R>(results: AsyncIterable<R>): Promise<{ seen: R[]; error: unknown }> {
  const seen: R[] = [];
  try {
    for await (const value of results) seen.push(value);
  } catch (error) {
    return { seen, error };
  }
  return { seen, error: undefined };
}

t.test('an item that throws fails alone, with its error and stack; the others are stored', async (t) => {
  const stash = open(t.testdir());
  const picky = (x: number) => {
    if (x === 2) throw new RangeError(`no ${x}`);
    return x * 10;
  };
  const { seen, error } = await drain(stash.map(picky, [1, 2, 3, 4], { numProc: 2 }));
  t.strictSame(seen, [10], 'iteration yields up to the failed item');
  t.ok(error instanceof MapItemError);
  const failure = error as MapItemError;
  t.equal(failure.code, 'HASHSTASH_MAP_ITEM');
  t.equal(failure.index, 1);
  t.strictSame(failure.args, [2]);
  t.match(failure.message, /picky\(2\) threw RangeError: no 2/);
  const cause = failure.cause as Error;
  t.equal(cause.name, 'RangeError');
  t.match(cause.stack, /no 2\n\s+at .*\(stash\.map:picky:/, 'the stack from the worker');
  t.equal(await stash.stashed(picky).stash.size(), 3, 'by the time it throws, the other three are stored');

  await t.rejects(stash.map(picky, [1, 2, 3, 4], { numProc: 2 }).all(), { name: 'MapItemError', index: 1 });
  const { seen: unordered } = await drain(stash.map(picky, [1, 2, 3, 4], { numProc: 2, ordered: false }));
  t.strictSame(unordered.sort(), [10, 30, 40], 'the stored ones come first; the failed one is retried and fails');
  await stash.close();
});

t.test('a worker that exits is replaced and its item fails with WorkerCrashError', async (t) => {
  const stash = open(t.testdir());
  const quitter = (x: number) => {
    if (x === 2) process.exit(7);
    return x;
  };
  const results = stash.map(quitter, [1, 2, 3, 4, 5], { numProc: 1 });
  const error = await results.all().catch((e: unknown) => e);
  t.ok(error instanceof WorkerCrashError);
  t.ok(error instanceof MapItemError, 'a crash is an item failure too');
  t.match(error, { code: 'HASHSTASH_WORKER_CRASHED', reason: 'exit', exitCode: 7, index: 1 });
  t.match((error as Error).message, /quitter\(2\) exited with code 7; it was replaced/);
  t.match(results.progress, { done: 4, failed: 1 }, 'a new worker took the rest (numProc: 1)');
  await stash.close();
});

t.test('an uncaught error outside the call kills the worker: typed, and the rest goes on', async (t) => {
  const stash = open(t.testdir());
  const leaky = (x: number) => {
    if (x === 1) {
      setTimeout(() => {
        throw new Error('thrown from a timer');
      }, 0);
      return new Promise(() => {});
    }
    return x;
  };
  const results = stash.map(leaky, [0, 1, 2], { numProc: 1 });
  const error = await results.all().catch((e: unknown) => e);
  t.match(error, { name: 'WorkerCrashError', reason: 'uncaught-error', index: 1 });
  t.match(((error as Error).cause as Error).message, 'thrown from a timer');
  t.match(results.progress, { done: 2, failed: 1 });
  await stash.close();
});

t.test('a worker out of memory is replaced and its item fails with reason out-of-memory', async (t) => {
  const stash = open(t.testdir());
  const hungry = (x: number) => {
    if (x === 1) {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(100_000).fill(x));
    }
    return x;
  };
  const results = stash.map(hungry, [0, 1, 2], { numProc: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
  const error = await results.all().catch((e: unknown) => e);
  t.match(error, { name: 'WorkerCrashError', reason: 'out-of-memory', index: 1 });
  t.match((error as Error).message, /hungry\(1\) ran out of memory/);
  t.match(results.progress, { done: 2, failed: 1 });
  await stash.close();
});

t.test('aborting stops the workers promptly and keeps what was finished', async (t) => {
  const stash = open(t.testdir());
  const controller = new AbortController();
  const items = Array.from({ length: 40 }, (_, i) => i);
  const sleepy = (x: number) => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    return x;
  };
  const results = stash.map(sleepy, items, { numProc: 2, signal: controller.signal });
  let abortedAt = 0;
  results.on('progress', (p) => {
    if (p.done >= 4 && !abortedAt) {
      abortedAt = performance.now();
      controller.abort();
    }
  });
  const error = await results.all().catch((e: unknown) => e);
  const stoppedIn = performance.now() - abortedAt;
  t.equal((error as Error).name, 'AbortError');
  // The rest would take 36 × 300 ms / 2 workers = 5.4 s; stopping takes a worker's termination and the finished
  // results' commit, which a busy machine may stretch past a second.
  t.ok(stoppedIn < 2500, `stopped ${Math.round(stoppedIn)} ms after the abort, without finishing 40 × 300 ms`);
  const finished = results.progress.done;
  t.ok(finished >= 4 && finished < 40, `${finished} finished`);
  t.equal(await stash.stashed(sleepy).stash.size(), finished, 'every finished result was stored');

  const { seen, error: iterationError } = await drain(stash.map(sleepy, items, { signal: AbortSignal.abort() }));
  t.strictSame(seen, []);
  t.equal((iterationError as Error).name, 'AbortError', 'an aborted signal stops the map before anything starts');
  await stash.close();
});

t.test('a module without the export fails the map with a ConfigError before any worker starts', async (t) => {
  const stash = open(t.testdir());
  const error = await stash
    .map({ module: WORK, export: 'notAFunction' }, [1])
    .all()
    .catch((e: unknown) => e);
  t.match(error, { name: 'ConfigError', message: /no function export 'notAFunction'/ });
  const missing = await stash
    .map({ module: new URL('./nowhere.js', WORK), export: 'f' }, [1])
    .all()
    .catch((e: unknown) => e);
  t.match(missing, { code: 'ERR_MODULE_NOT_FOUND' }, 'the import error itself');
  t.notOk(missing instanceof MapItemError, 'a failure of the whole map, not of an item');
  await stash.close();
});
