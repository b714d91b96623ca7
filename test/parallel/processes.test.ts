import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { HashStash, MapItemError, WorkerCrashError } from '../../src/index.js';
import { WORK } from '../fixtures/parallel/helpers.js';
import { Point } from '../fixtures/parallel/work.js';
import { childExecArgv } from '../../src/parallel/exec-argv.js';
import { functionSpec } from '../../src/parallel/function-ref.js';
import { ProcessPool } from '../../src/parallel/process-pool.js';
import { WorkerDeath } from '../../src/parallel/pool.js';
import { getSerializer } from '../../src/serializers/index.js';

const open = (root: string) => new HashStash({ root, engine: 'lmdb' });
const PROCESSES = new URL('../fixtures/parallel/processes.js', import.meta.url);
const pidThenTimes10 = { module: PROCESSES, export: 'pidThenTimes10' };
const pidThenSleep = { module: PROCESSES, export: 'pidThenSleep' };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits (polling, up to `ms`) until `check` holds; a busy machine may take its time, so only a minute fails. */
async function until(check: () => boolean, ms = 60_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await sleep(20)) if (check()) return true;
  return check();
}

t.test("backend 'processes' returns what threads return: Maps, Dates, BigInts, registered classes", async (t) => {
  const threads = open(t.testdir());
  const processes = open(join(t.testdir(), 'p'));
  const values = (x: number) => ({
    map: new Map<unknown, unknown>([
      [x, new Date(x * 1000)],
      ['big', BigInt(x) ** 40n],
    ]),
    dates: [new Date(0), new Date(x)],
    big: -(BigInt(x) << 70n),
    nested: { set: new Set([x, `${x}`]), bytes: new Uint8Array([x, 255]) },
  });
  const items = [1, 2, 3, 4, 5, 6];
  const fromThreads = await threads.map(values, items, { numProc: 2 }).all();
  const fromProcesses = await processes.map(values, items, { numProc: 2, backend: 'processes' }).all();
  t.strictSame(fromProcesses, fromThreads);
  t.ok(fromProcesses[2].map.get(3) instanceof Date);
  t.equal(fromProcesses[2].map.get('big'), 3n ** 40n);
  const [p] = await processes.map({ module: WORK, export: 'point' }, [3], { backend: 'processes' }).all();
  t.ok(p instanceof Point, 'the class registered by the module comes back as itself');
  await threads.close();
  await processes.close();
});

t.test('results are stored where stash.run stores them, and each child is a process of its own', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const whose = (x: number) => [x * x, process.pid];
  const results = await stash.map(whose, [1, 2, 3, 4], { numProc: 2, backend: 'processes' }).all();
  t.strictSame(
    results.map(([square]) => square),
    [1, 4, 9, 16],
  );
  const pids = new Set(results.map(([, pid]) => pid));
  t.notOk(pids.has(process.pid), 'no item ran in this process');
  t.ok(pids.size >= 1 && pids.size <= 2, `${pids.size} children for numProc 2`);
  t.strictSame(await stash.run(whose, 3), results[2], 'stash.run finds what the map stored');
  const again = stash.map(whose, [1, 2, 3, 4], { backend: 'processes' });
  t.strictSame(await again.all(), results);
  t.match(again.progress, { cached: 4, done: 0 }, 'a second map computes nothing');
  await stash.close();
});

t.test('a call that throws fails its item with MapItemError, the stack from the child', async (t) => {
  const stash = open(t.testdir());
  const picky = (x: number) => {
    if (x === 2) throw new RangeError(`no ${x}`);
    return x * 10;
  };
  const error = await stash
    .map(picky, [1, 2, 3], { numProc: 2, backend: 'processes' })
    .all()
    .catch((e: unknown) => e);
  t.ok(error instanceof MapItemError);
  t.notOk(error instanceof WorkerCrashError);
  t.match(error, { code: 'HASHSTASH_MAP_ITEM', index: 1, message: /picky\(2\) threw RangeError: no 2/ });
  t.match(((error as Error).cause as Error).stack, /no 2\n\s+at .*\(stash\.map:picky:/);
  t.equal(await stash.stashed(picky).stash.size(), 2, 'the other two are stored');
  await stash.close();
});

t.test(
  'a child SIGKILLed mid-item fails only that item with WorkerCrashError; the rest complete and are stored',
  async (t) => {
    const dir = t.testdir();
    const stash = open(join(dir, 'stash'));
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const results = stash.map(pidThenTimes10, items, { numProc: 2, backend: 'processes', args: [dir, 3] });
    const pidFile = join(dir, '3.pid');
    t.ok(await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== ''), 'item 3 started');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    t.not(pid, process.pid);
    process.kill(pid, 'SIGKILL');
    const error = await results.all().catch((e: unknown) => e);
    t.ok(error instanceof WorkerCrashError);
    t.match(error, { code: 'HASHSTASH_WORKER_CRASHED', reason: 'exit', exitCode: 137, index: 2, args: [3, dir, 3] });
    t.match(
      (error as Error).message,
      /pidThenTimes10\(.*\) exited: the child process was killed by SIGKILL; it was replaced/,
    );
    t.match(results.progress, { done: 7, failed: 1 });
    const { pidThenTimes10: fn } = (await import(PROCESSES.href)) as typeof import('../fixtures/parallel/processes.js');
    const runs = stash.stashed(fn).stash;
    t.equal(await runs.size(), 7, 'the seven others are stored');
    t.equal(await runs.getFunc(8, dir, 3), 80);
    await stash.close();
  },
);

t.test('a child that exits or dies of an uncaught error is replaced; its item fails alone', async (t) => {
  const stash = open(t.testdir());
  const quitter = (x: number) => {
    if (x === 2) process.exit(7);
    if (x === 4) {
      setTimeout(() => {
        throw new TypeError('thrown from a timer');
      }, 0);
      return new Promise(() => {});
    }
    return x;
  };
  const results = stash.map(quitter, [1, 2, 3, 4, 5], { numProc: 1, backend: 'processes', ordered: false });
  const failures: unknown[] = [];
  for await (const settled of results.settled()) if (settled.status === 'rejected') failures.push(settled.reason);
  t.match(failures, [
    { name: 'WorkerCrashError', reason: 'exit', exitCode: 7, index: 1, message: /quitter\(2\) exited with code 7/ },
    { name: 'WorkerCrashError', reason: 'uncaught-error', exitCode: 1, index: 3 },
  ]);
  t.match(((failures[1] as Error).cause as Error).stack, /TypeError: thrown from a timer\n\s+at /, 'the child’s stack');
  t.match(results.progress, { done: 3, failed: 2 }, 'new children took the rest (numProc: 1)');
  await stash.close();
});

t.test('a child out of its heap (resourceLimits) fails its item with reason out-of-memory', async (t) => {
  const stash = open(t.testdir());
  const hungry = (x: number) => {
    if (x === 1) {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(100_000).fill(x));
    }
    return x;
  };
  const results = stash.map(hungry, [0, 1, 2], {
    numProc: 1,
    backend: 'processes',
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  const error = await results.all().catch((e: unknown) => e);
  t.ok(error instanceof WorkerCrashError);
  t.match(error, { reason: 'out-of-memory', index: 1, exitCode: 134 });
  t.match((error as Error).message, /hungry\(1\) ran out of memory: the child process was killed by SIGABRT: .*heap/);
  t.match(results.progress, { done: 2, failed: 1 });
  await stash.close();
});

t.test('aborting kills the children at once and keeps what was finished', async (t) => {
  const dir = t.testdir();
  const stash = open(join(dir, 'stash'));
  const controller = new AbortController();
  const items = Array.from({ length: 40 }, (_, i) => i);
  const results = stash.map(pidThenSleep, items, {
    numProc: 2,
    backend: 'processes',
    args: [dir, 300],
    signal: controller.signal,
  });
  results.on('progress', (p) => {
    if (p.done >= 4) controller.abort();
  });
  const error = await results.all().catch((e: unknown) => e);
  t.equal((error as Error).name, 'AbortError');
  const finished = results.progress.done;
  t.ok(finished >= 4 && finished < 40, `${finished} of 40 finished`);
  const pids = [...new Set(readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number))];
  t.ok(pids.length >= 1 && pids.length <= 2, `${pids.length} children`);
  // Killed at once; gone (reaped) as soon as this process hears of it, which a busy machine may delay.
  t.ok(await until(() => !pids.some(alive)), `no child is left: ${pids.filter(alive).join(', ') || 'none'}`);
  const { pidThenSleep: fn } = (await import(PROCESSES.href)) as typeof import('../fixtures/parallel/processes.js');
  t.equal(await stash.stashed(fn).stash.size(), finished, 'every finished result was stored');
  await stash.close();
});

t.test('a function that cannot load fails the map once, not item by item', async (t) => {
  const stash = open(t.testdir());
  const error = await stash
    .map({ module: WORK, export: 'notAFunction' }, [1, 2], { backend: 'processes' })
    .all()
    .catch((e: unknown) => e);
  t.match(error, { name: 'ConfigError', message: /no function export 'notAFunction'/ });
  t.notOk(error instanceof MapItemError);
  // A module that fails only in a child: the parent loads it fine, so the children's load error is the map's.
  const code = `export const f = () => 1; if ((process.argv[1] || '').endsWith('child.js')) throw new Error('broken in a child');`;
  const broken = { module: `data:text/javascript,${encodeURIComponent(code)}`, export: 'f' };
  const loadError = await stash
    .map(broken, [1, 2, 3], { backend: 'processes', numProc: 2 })
    .all()
    .catch((e: unknown) => e);
  t.match(loadError, { message: /workers could not load f: broken in a child/ });
  t.notOk(loadError instanceof MapItemError);
  await stash.close();
});

t.test('a child that cannot be spawned fails its task as a death, and the next task gets a new child', async (t) => {
  const serializer = getSerializer('hashstash');
  const pool = new ProcessPool({
    size: 1,
    setup: { fn: functionSpec((x: number) => x + 1), serializer: 'hashstash', trustCode: false },
    resourceLimits: undefined,
  });
  t.teardown(() => pool.terminate());
  const execPath = process.execPath;
  process.execPath = join(t.testdir(), 'no-node-here');
  let failure: unknown;
  try {
    failure = await pool.run(serializer.serialize([1])).catch((e: unknown) => e);
  } finally {
    process.execPath = execPath;
  }
  t.ok(failure instanceof WorkerDeath);
  t.match((failure as WorkerDeath).cause, { code: 'ENOENT' });
  const outcome = await pool.run(serializer.serialize([2]));
  t.equal(outcome.ok && serializer.deserialize(outcome.value), 3);
});

t.test('backend is checked: unknown names, queue, and resource limits a process cannot take', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  const twice = (x: number) => 2 * x;
  t.throws(() => stash.map(twice, [1], { backend: 'fibers' as never }), {
    name: 'ConfigError',
    message: /stash.map option 'backend' must be 'threads' or 'processes', got 'fibers'/,
  });
  t.throws(() => stash.map(twice, [1], { backend: 'threads', queue: { url: 'redis://localhost:1', name: 'q' } }), {
    name: 'ConfigError',
    message: /'backend' and 'queue' do not go together/,
  });
  t.throws(() => stash.map(twice, [1], { backend: 'processes', resourceLimits: { stackSizeMb: 4 } }), {
    name: 'ConfigError',
    message: /'resourceLimits.stackSizeMb' is for worker threads; with backend 'processes' only maxOldGenerationSizeMb/,
  });
  t.strictSame(
    await stash.map(twice, [1, 2], { backend: 'threads', numProc: 1 }).all(),
    [2, 4],
    "'threads' is the default, by name",
  );
  await stash.close();
});

t.test('a child gets the Node options of this process less the main program’s and the inspector’s', async (t) => {
  t.strictSame(
    childExecArgv(
      [
        '--input-type=module',
        '-e',
        'code',
        '--expose-gc',
        '--inspect-brk=9229',
        '--inspect-port',
        '9230',
        '--import',
        'tsx',
        '--max-old-space-size=4096',
      ],
      undefined,
    ),
    ['--expose-gc', '--import', 'tsx', '--max-old-space-size=4096'],
  );
  t.strictSame(
    childExecArgv(['--max-old-space-size=4096'], 63.5),
    ['--max-old-space-size=4096', '--max-old-space-size=64'],
    'the limit comes last, so it wins',
  );
});
