// Bulk loading: a million small entries stream through update() in batches, in bounded memory, on the engines made
// for it. (pairtree writes a folder and two files per entry; its bulk path is proved at smaller scale in its suite.)
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HashStash, type EngineName } from '../src/index.js';

const COUNT = 1_000_000;
const MB = 1024 * 1024;

function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

for (const engine of ['lmdb', 'sqlite'] as EngineName[]) {
  for (const kind of ['iterable', 'async iterable'] as const) {
    t.test(
      `${engine}: update() loads ${COUNT.toLocaleString('en')} entries from an ${kind} in bounded memory`,
      async (t) => {
        t.setTimeout(240_000);
        // Close before tap removes the test folder (teardowns run in the order they are added).
        let stash: HashStash | undefined;
        t.teardown(() => stash?.close());
        stash = new HashStash({ root: t.testdir(), engine });
        const gc = collector();
        gc();
        const baseline = process.memoryUsage().heapUsed;
        let peak = 0;
        const sample = (i: number) => {
          if (i % 100_000 === 0) {
            gc();
            peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
          }
        };
        function* entries(): Generator<[string, { i: number; name: string }]> {
          for (let i = 0; i < COUNT; i++) {
            sample(i);
            yield [`key-${i}`, { i, name: 'cat' }];
          }
        }
        async function* asyncEntries(): AsyncGenerator<[string, { i: number; name: string }]> {
          yield* entries();
        }
        const started = performance.now();
        await stash.update(kind === 'iterable' ? entries() : asyncEntries());
        const seconds = (performance.now() - started) / 1000;
        t.comment(
          `${engine} ${kind}: ${COUNT} entries in ${seconds.toFixed(1)} s (${Math.round(COUNT / seconds).toLocaleString('en')}/s), peak heap growth ${(peak / MB).toFixed(1)} MB`,
        );
        t.ok(peak < 64 * MB, `heap growth while loading stays bounded (${(peak / MB).toFixed(1)} MB)`);
        t.equal(await stash.size(), COUNT);
        t.same(await stash.getMany(['key-0', 'key-500000', `key-${COUNT - 1}`, 'absent']), [
          { i: 0, name: 'cat' },
          { i: 500000, name: 'cat' },
          { i: COUNT - 1, name: 'cat' },
          undefined,
        ]);
      },
    );
  }
}
