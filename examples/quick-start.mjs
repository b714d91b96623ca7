// The quick start, in plain JavaScript: save it as quick-start.mjs next to an installed hashstash
// (npm install hashstash) and run `node quick-start.mjs` (Node >= 20.19). Run it twice: the second run computes nothing.
import { HashStash } from 'hashstash';

const stash = new HashStash({ root: 'quick_start' }); // a relative root lives in ~/.cache/hashstash/

// Any value can be a key: equal objects are the same key, whatever the order of their fields.
await stash.set({ animal: 'dog', size: 'big' }, { goodness: 'good', born: new Date('2020-01-01') });
console.log(await stash.get({ size: 'big', animal: 'dog' }));

// A memoized function: computed once, then read from the stash, in this run and the next ones.
let computations = 0;
async function slowSquare(n) {
  computations++;
  await new Promise((resolve) => setTimeout(resolve, 500));
  return n * n;
}
const square = stash.stashed(slowSquare);
console.log('square(12) twice:', await square(12), await square(12), '| computations:', computations);

console.log(`stored in ${stash}`);
await stash.close();
