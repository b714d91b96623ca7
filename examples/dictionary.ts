// A dictionary whose keys can be any value: objects, arrays, Sets, Dates, BigInts. Equal keys are the same entry
// whatever the order of their fields or members, and iteration gives the original keys back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { HashStash } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-dictionary-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

await using stash = new HashStash({ root });

await stash.set({ animal: 'dog', size: 'big' }, 'loyal');
console.log(
  'get({ size, animal }) ->',
  await stash.get({ size: 'big', animal: 'dog' }),
  '(field order does not matter)',
);

await stash.set(new Set(['zebra', 'okapi']), { stripes: true, seen: new Date('2024-05-01T00:00:00Z') });
console.log('get(Set { okapi, zebra }) ->', await stash.get(new Set(['okapi', 'zebra'])));

for (const key of [1, 1n, '1', [1]]) await stash.set(key, typeof key);
console.log('getMany([1, 1n, "1", [1]]) ->', await stash.getMany([1, 1n, '1', [1]]), '(four different keys)');

await stash.set(new Date('2024-05-01T12:00:00+02:00'), 'noon in Paris');
console.log('a Date key is its instant:', await stash.get(new Date('2024-05-01T10:00:00Z')));

console.log('has([1]):', await stash.has([1]), '| get("absent", "fallback"):', await stash.get('absent', 'fallback'));
console.log('pop(1n):', await stash.pop(1n), '| has(1n) after pop:', await stash.has(1n));
console.log(
  'setDefault("k", "first"):',
  await stash.setDefault('k', 'first'),
  '| again with "second":',
  await stash.setDefault('k', 'second'),
);

// The synchronous view does the same without promises, on local engines.
console.log('sync.get([1]):', stash.sync.get([1]));

for await (const [key, value] of stash) console.log(`  entry ${inspect(key)} -> ${inspect(value)}`);
console.log('size:', await stash.size());
