import t from 'tap';
import { stashConformance } from 'hashstash/test-suite';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { HashStash } from '../../src/index.js';
import { appendSuite } from '../helpers/append-suite.js';

stashConformance({ test: t.test.bind(t), engine: 'memory', persistent: false, sync: true, onDisk: false });
appendSuite(t, { engine: 'memory', persistent: false, sync: true });

const indexUrl = new URL('../../src/index.js', import.meta.url).href;

t.test('a worker thread opening the same root and name sees the same entries', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, name: 'threads', engine: 'memory' });
  t.teardown(() => stash.close());
  await stash.set('from main', { n: 1 });
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { HashStash } = await import(workerData.indexUrl);
      const stash = new HashStash({ root: workerData.root, name: 'threads', engine: 'memory' });
      const seen = await stash.get('from main');
      await stash.set('from worker', { n: 2 });
      parentPort.postMessage({ seen, size: await stash.size() });
    })().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
  `,
    { eval: true, workerData: { indexUrl, root } },
  );
  const reply = await new Promise<{ seen?: unknown; size?: number; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.equal(reply.error, undefined, 'the worker ran');
  t.strictSame(reply.seen, { n: 1 }, 'the worker reads what the main thread wrote');
  t.equal(reply.size, 2, 'the worker counts both entries');
  t.strictSame(await stash.get('from worker'), { n: 2 }, 'the main thread reads what the worker wrote');
  await worker.terminate();
  t.strictSame(await stash.get('from worker'), { n: 2 }, 'and keeps it after the worker is gone');
});

t.test('entries live in this process only: another process sees an empty stash', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, name: 'process', engine: 'memory' });
  t.teardown(() => stash.close());
  await stash.set('here', 1);
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    const stash = new HashStash({ root: ${JSON.stringify(root)}, name: 'process', engine: 'memory' });
    console.log(JSON.stringify({ size: await stash.size(), has: await stash.has('here') }));
  `,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise((resolve) => child.once('close', resolve));
  t.equal(code, 0);
  t.strictSame(JSON.parse(stdout), { size: 0, has: false });
  t.equal(await stash.get('here'), 1, 'this process still has its entry');
});
