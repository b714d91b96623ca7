// The README's first command: `npm run demo`. A stash on the default engine, keys that are not strings, and a
// memoized function that computes once.
import { HashStash } from 'hashstash';

await using stash = new HashStash({ root: 'demo_stash', clear: true });
console.log(`opened ${String(stash)}`);

// Any value can be a key: structurally equal keys are the same entry.
await stash.set('cat', { goodness: 'good', tags: ['fluffy'] });
await stash.set({ animal: 'dog', size: 'big' }, 'loyal');
await stash.set([1, 2, 3], new Map([['when', new Date('2024-05-01T00:00:00Z')]]));
await stash.set(new Set(['zebra', 'okapi']), 42n);

console.log('get({ size: "big", animal: "dog" }) =', await stash.get({ size: 'big', animal: 'dog' }));
console.log('get(new Set(["okapi", "zebra"])) =', await stash.get(new Set(['okapi', 'zebra'])));
console.log('size =', await stash.size());
for await (const [key, value] of stash) console.log('  entry', key, '->', value);

// A memoized function: the first call computes, later calls with equal arguments read the stash.
let computations = 0;
async function slowSquare(n: number): Promise<number> {
  computations++;
  await new Promise((resolve) => setTimeout(resolve, 300));
  return n * n;
}
const square = stash.stashed(slowSquare);
await square.stash.clear();
for (const attempt of ['first', 'second']) {
  const started = performance.now();
  const result = await square(12);
  console.log(
    `${attempt} call square(12) = ${result} in ${(performance.now() - started).toFixed(1)} ms (computations: ${computations})`,
  );
}
console.log(`results live in ${String(square.stash)}`);
