import t from 'tap';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { HashStash } from '../../src/index.js';
import { hammerProblem, hammerValue } from '../fixtures/memory/thread-worker.js';

const indexUrl = new URL('../../src/index.js', import.meta.url).href;

/** Runs an ES module script in a child node process (a fresh process, with no arena yet); its exit code and output. */
async function runScript(
  script: string,
  stderr: 'inherit' | 'ignore',
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', stderr] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout };
}

const workerUrl = new URL('../fixtures/memory/thread-worker.js', import.meta.url);

interface HammerReply {
  checked: number;
  found: number;
  problems: string[];
}

function run<T>(workerData: object): { worker: Worker; reply: Promise<T> } {
  const worker = new Worker(workerUrl, { workerData });
  const reply = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before replying`)));
  });
  return { worker, reply };
}

t.test('4 threads writing and reading 10,000 overlapping keys each never read a mix of two writes', async (t) => {
  const root = t.testdir();
  const name = 'hammer';
  const stash = new HashStash<string, { writer: number }>({ root, name, engine: 'memory' });
  t.teardown(() => stash.close());
  const range = 20_000;
  const start = new Int32Array(new SharedArrayBuffer(8));
  // Worker w writes keys k(5000 w) … k(5000 w + 9999) mod 20,000: every key is written by two workers.
  const runs = [0, 1, 2, 3].map((worker) =>
    run<HammerReply>({ mode: 'hammer', root, name, worker, first: worker * 5000, count: 10_000, range, start }),
  );
  while (Atomics.load(start, 1) < 4) await new Promise((resolve) => setTimeout(resolve, 5));
  Atomics.store(start, 0, 1);
  Atomics.notify(start, 0);
  const replies = await Promise.all(runs.map(({ reply }) => reply));
  await Promise.all(runs.map(({ worker }) => worker.terminate()));

  for (const [worker, reply] of replies.entries()) {
    t.strictSame(
      reply.problems,
      [],
      `worker ${worker}: every read was undefined or a whole value written for that key`,
    );
    t.equal(reply.checked, 10_000, `worker ${worker} checked a read after each write`);
  }
  t.ok(
    replies.reduce((sum, reply) => sum + reply.found, 0) > 10_000,
    'the workers read many entries written by each other',
  );

  t.equal(await stash.size(), range, 'the main thread counts every key once');
  const problems: string[] = [];
  let seen = 0;
  for await (const [key, value] of stash) {
    seen++;
    const problem = hammerProblem(key, value) ?? (value === undefined ? `${key} undefined` : undefined);
    const index = Number(key.slice(1));
    const writers = [0, 1, 2, 3].filter((w) => (index - w * 5000 + range) % range < 10_000);
    if (!problem && !writers.includes(value.writer)) problems.push(`${key} holds a value of worker ${value.writer}`);
    if (problem && problems.length < 10) problems.push(problem);
  }
  t.equal(seen, range, 'iteration gives every key');
  t.strictSame(problems, [], 'each key holds a whole value from one of the two workers that wrote it');
});

t.test('entries outlive the thread that wrote them', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, name: 'outlive', engine: 'memory' });
  t.teardown(() => stash.close());
  const { worker, reply } = run<{ done: boolean }>({
    mode: 'write',
    root,
    name: 'outlive',
    worker: 7,
    first: 0,
    count: 5000,
    range: 0,
  });
  await reply;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await worker.terminate();
  await exited;
  // Let the worker's isolate be torn down and collected before reading.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(await stash.size(), 5000);
  t.strictSame(await stash.get('w7-0'), hammerValue('w7-0', 0, 7));
  t.strictSame(await stash.get('w7-4999'), hammerValue('w7-4999', 4999, 7));
  t.strictSame(stash.sync.get('w7-2500'), hammerValue('w7-2500', 2500, 7), 'the sync view too');
});

t.test('a worker started by piscina shares the table', async (t) => {
  const { Piscina } = await import('piscina');
  const root = t.testdir();
  const stash = new HashStash({ root, name: 'pool', engine: 'memory' });
  t.teardown(() => stash.close());
  await stash.set('from main', 'hello');
  const pool = new Piscina({
    filename: new URL('../fixtures/memory/pool-task.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: 2,
  });
  t.teardown(() => pool.destroy());
  const result = (await pool.run({ root, name: 'pool' })) as unknown;
  t.equal(result, 'hello', 'the pool worker reads what the main thread wrote');
  t.equal(await stash.get('from pool'), 'written in a pool worker', 'the main thread reads what the pool worker wrote');
});

t.test(
  'a worker started before the main thread imported hashstash shares the table after one event loop turn',
  async (t) => {
    const root = t.testdir();
    // The child's worker imports hashstash first; only then does the child's main thread import it and write.
    const script = `
    import { Worker } from 'node:worker_threads';
    const workerData = { indexUrl: ${JSON.stringify(indexUrl)}, root: ${JSON.stringify(root)} };
    const worker = new Worker(\`
      (async () => {
        const { parentPort, workerData } = await import('node:worker_threads');
        const { HashStash } = await import(workerData.indexUrl);
        parentPort.postMessage('imported');
        parentPort.once('message', async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          const view = new HashStash({ root: workerData.root, name: 'early', engine: 'memory' }).sync;
          const seen = view.get('from main');
          view.set('from the early worker', 2);
          parentPort.postMessage({ seen });
        });
      })();
    \`, { eval: true, workerData });
    await new Promise((resolve) => worker.once('message', resolve));
    const { HashStash } = await import(workerData.indexUrl);
    const view = new HashStash({ root: workerData.root, name: 'early', engine: 'memory' }).sync;
    view.set('from main', 1);
    worker.postMessage('go');
    const reply = await new Promise((resolve) => worker.once('message', resolve));
    console.log(JSON.stringify({ seen: reply.seen, back: view.get('from the early worker') }));
    await worker.terminate();
  `;
    const { code, stdout } = await runScript(script, 'inherit');
    t.equal(code, 0);
    t.strictSame(JSON.parse(stdout), { seen: 1, back: 2 }, 'each thread reads what the other wrote');
  },
);

t.test('a thread that made its own arena warns when it hears of another one', async (t) => {
  const root = t.testdir();
  // The worker imports hashstash and uses a memory stash at once, before any thread has an arena to hand it: it
  // makes one. Then the main thread, which started the worker before it imported hashstash and so never listened for
  // arenas, imports hashstash and opens a memory stash while the worker is blocked (an idle worker would answer the
  // main thread's ask in time for it to adopt the worker's arena): it makes another, and announces it. Unblocked,
  // the worker opens another memory stash, which reads what waits on its channel: no timer decides the outcome.
  const script = `
    import { Worker } from 'node:worker_threads';
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const workerData = { indexUrl: ${JSON.stringify(indexUrl)}, root: ${JSON.stringify(root)}, gate };
    const worker = new Worker(\`
      (async () => {
        const { parentPort, workerData } = await import('node:worker_threads');
        const warnings = [];
        process.on('warning', (warning) => warnings.push(warning.code));
        const { HashStash } = await import(workerData.indexUrl);
        const open = (name) => new HashStash({ root: workerData.root, name, engine: 'memory' }).sync;
        open('split').set('x', 1);
        parentPort.postMessage('used');
        Atomics.wait(workerData.gate, 0, 0);
        open('split-check').get('x');
        await new Promise((resolve) => setImmediate(resolve));
        parentPort.postMessage({ warnings, seen: open('split').get('y') ?? null });
      })();
    \`, { eval: true, workerData });
    await new Promise((resolve) => worker.once('message', resolve));
    const { HashStash } = await import(workerData.indexUrl);
    new HashStash({ root: workerData.root, name: 'split', engine: 'memory' }).sync.set('y', 2);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const reply = await new Promise((resolve) => worker.once('message', resolve));
    console.log(JSON.stringify(reply));
    await worker.terminate();
  `;
  const { code, stdout } = await runScript(script, 'ignore');
  t.equal(code, 0);
  t.strictSame(
    JSON.parse(stdout),
    { warnings: ['HASHSTASH_MEMORY_ARENA_SPLIT'], seen: null },
    'the worker shares nothing with the main thread, and was warned',
  );
});

t.test('a memory stash opened in the main thread after it started a worker is shared with that worker', async (t) => {
  const root = t.testdir();
  // No thread has an arena when the worker starts. The main thread makes one when it opens its first memory stash;
  // the worker, listening since it imported hashstash, has the announcement waiting when 'go' arrives. The main thread
  // is blocked meanwhile, so it cannot answer an ask: the worker finds the arena only through what already waits.
  const script = `
    import { Worker } from 'node:worker_threads';
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const workerData = { indexUrl: ${JSON.stringify(indexUrl)}, root: ${JSON.stringify(root)}, gate };
    const worker = new Worker(\`
      (async () => {
        const { parentPort, workerData } = await import('node:worker_threads');
        const { HashStash } = await import(workerData.indexUrl);
        parentPort.once('message', () => {
          const view = new HashStash({ root: workerData.root, name: 'after', engine: 'memory' }).sync;
          const seen = view.get('from main');
          view.set('from the worker', 2);
          parentPort.postMessage({ seen });
          Atomics.store(workerData.gate, 0, 1);
          Atomics.notify(workerData.gate, 0);
        });
        parentPort.postMessage('imported');
      })();
    \`, { eval: true, workerData });
    await new Promise((resolve) => worker.once('message', resolve));
    const view = new HashStash({ root: workerData.root, name: 'after', engine: 'memory' }).sync;
    view.set('from main', 1);
    worker.postMessage('go');
    Atomics.wait(gate, 0, 0);
    const reply = await new Promise((resolve) => worker.once('message', resolve));
    console.log(JSON.stringify({ seen: reply.seen, back: view.get('from the worker') }));
    await worker.terminate();
  `;
  const { code, stdout } = await runScript(script, 'inherit');
  t.equal(code, 0);
  t.strictSame(JSON.parse(stdout), { seen: 1, back: 2 }, 'each thread reads what the other wrote');
});

t.test(
  'workers started before any arena share the one the first of them makes, and so does the main thread later',
  async (t) => {
    const root = t.testdir();
    // The main thread has opened no memory stash when it starts two workers. The first to open one makes the arena;
    // the second, and then the main thread, find it: each opens its first memory stash after the announcement, while
    // the threads holding the arena are blocked (so no answer to an ask can help: only what already waits on its channel).
    const script = `
    import { Worker } from 'node:worker_threads';
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const workerData = { indexUrl: ${JSON.stringify(indexUrl)}, root: ${JSON.stringify(root)}, gate };
    const start = () => new Worker(\`
      (async () => {
        const { parentPort, workerData } = await import('node:worker_threads');
        const { HashStash } = await import(workerData.indexUrl);
        parentPort.on('message', ({ set, get, block }) => {
          if (block) {
            parentPort.postMessage('blocked');
            Atomics.wait(workerData.gate, 0, block - 1);
            return;
          }
          const view = new HashStash({ root: workerData.root, name: 'pool', engine: 'memory' }).sync;
          if (set) view.set(set, set);
          parentPort.postMessage(get ? view.get(get) ?? null : 'done');
        });
        parentPort.postMessage('imported');
      })();
    \`, { eval: true, workerData });
    const reply = (worker) => new Promise((resolve) => worker.once('message', resolve));
    const release = () => { Atomics.add(gate, 0, 1); Atomics.notify(gate, 0); };
    const [first, second] = [start(), start()];
    await Promise.all([reply(first), reply(second)]);
    first.postMessage({ set: 'first' });
    await reply(first);
    first.postMessage({ block: 1 });
    await reply(first);
    second.postMessage({ set: 'second', get: 'first' });
    const secondSaw = await reply(second);
    release();
    first.postMessage({ block: 2 });
    second.postMessage({ block: 2 });
    await Promise.all([reply(first), reply(second)]);
    const view = new HashStash({ root: workerData.root, name: 'pool', engine: 'memory' }).sync;
    const mainSaw = [view.get('first'), view.get('second')];
    release();
    first.postMessage({ get: 'second' });
    const firstSaw = await reply(first);
    console.log(JSON.stringify({ secondSaw, firstSaw, mainSaw }));
    await Promise.all([first.terminate(), second.terminate()]);
  `;
    const { code, stdout } = await runScript(script, 'inherit');
    t.equal(code, 0);
    t.strictSame(
      JSON.parse(stdout),
      { secondSaw: 'first', firstSaw: 'second', mainSaw: ['first', 'second'] },
      'all three threads share one table',
    );
  },
);

t.test("stash.map's workers share the parent's memory stashes", async (t) => {
  const root = t.testdir();
  // In a fresh process: the parent's first memory stash makes the arena just before the map starts its workers.
  const script = `
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    const root = ${JSON.stringify(root)};
    const factors = new HashStash({ root, name: 'factors', engine: 'memory' });
    await factors.set('factor', 3);
    const stash = new HashStash({ root, name: 'results', engine: 'memory' });
    const fn = { module: ${JSON.stringify(new URL('../fixtures/memory/map-task.js', import.meta.url).href)}, export: 'scaled' };
    const results = await stash.map(fn, [1, 2, 3], { args: [root], numProc: 2 }).all();
    const seen = [1, 2, 3].map((x) => factors.sync.get('seen ' + x) ?? false);
    console.log(JSON.stringify({ results, seen }));
  `;
  const { code, stdout } = await runScript(script, 'inherit');
  t.equal(code, 0);
  t.strictSame(
    JSON.parse(stdout),
    { results: [3, 6, 9], seen: [true, true, true] },
    'the workers read and wrote the parent stash',
  );
});
