/**
 * A process that opens a stash on a server, then a sub-stash, a sequence and a sweep from it, uses each, closes only
 * the stash, and then has nothing left to do: it must exit by itself (nothing it opened holds a connection open).
 *   node leaving-child.js '{"engine":"redis","url":"redis://…","root":"/tmp/x"}'
 */
import { HashStash, type EngineName } from '../../src/index.js';

const job = JSON.parse(process.argv[2]) as { engine: EngineName; url: string; root: string };
const stash = new HashStash({ root: job.root, name: 'leaving', engine: job.engine, url: job.url });
const sub = stash.sub('child');
await sub.set('k', 1);
const seq = stash.sequence(
  function* () {
    for (let i = 0; i < 100; i++) yield i;
  },
  { name: 'numbers', shardLength: 10 },
);
if ((await seq.at(42)) !== 42) throw new Error('the sequence read a wrong item');
const sweep = stash.sweep({ axes: { x: [1, 2, 3] } });
await sweep.run((point: { x: number }) => point.x * 2);
await stash.close();
process.stdout.write('closed\n');
