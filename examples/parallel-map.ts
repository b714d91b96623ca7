// stash.map: a function over many items on worker threads, each result stored like stash.run's. A second map over
// more items reads what is stored and computes only the missing ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash, type MapProgress } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-parallel-map-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

await using stash = new HashStash({ root });

// Shipped to the workers by its source, so it must be self-contained: no variables or imports from outside (Node's
// globals are fine). A function that needs imports goes by reference: { module: new URL('./work.js', import.meta.url), export: 'work' }.
function collatzSteps(start: number): number {
  let steps = 0;
  for (let n = start; n !== 1; steps++) n = n % 2 === 0 ? n / 2 : 3 * n + 1;
  const until = Date.now() + 100;
  while (Date.now() < until); // pretend this takes a while
  return steps;
}

const counts = ({ total, done, cached }: MapProgress) =>
  `${total} items: computed ${done}, read from the stash ${cached}`;

const first = stash.map(collatzSteps, [27, 97, 871], { numProc: 2 });
console.log('first map:', await first.all(), `(${counts(first.progress)})`);

const second = stash.map(collatzSteps, [27, 97, 871, 6171, 77031], { numProc: 2 });
for await (const [[item], steps] of second.entries()) console.log(`  collatzSteps(${item as number}) = ${steps}`);
await second.all(); // resolves once every result is also stored (iteration ends when the last one is ready)
console.log(`second map: ${counts(second.progress)}`);

// The map stores each result where stash.run and stash.stashed look for it, so they read what the map computed.
const memo = stash.stashed(collatzSteps);
console.log(
  `collatzSteps's memo holds ${await memo.stash.size()} results; the stored one for 77031 is ${await memo.stash.getFunc(77031)}`,
);
