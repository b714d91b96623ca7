// Temporary stashes: scratch space with the parent's settings that is removed, data and all, when its scope ends:
// `await using tmp = stash.tmp()` for a block, `stash.withTmp(fn)` for a callback, also when they end by an exception.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-temporary-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

await using stash = new HashStash({ root, engine: 'sqlite' });
await stash.set('kept', 'in the parent');

let scratchPath: string;
{
  await using scratch = stash.tmp();
  await scratch.setMany([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  scratchPath = scratch.path;
  console.log(`inside the block: ${await scratch.size()} entries, on disk: ${existsSync(scratchPath)}`);
}
console.log(`after the block: on disk: ${existsSync(scratchPath)}`);

let failedPath = '';
try {
  await stash.withTmp(async (tmp) => {
    await tmp.set('partial', [1, 2, 3]);
    failedPath = tmp.path;
    throw new Error('the computation failed half-way');
  });
} catch (error) {
  console.log(`withTmp rejected with "${(error as Error).message}"; its stash on disk: ${existsSync(failedPath)}`);
}

const total = await stash.withTmp(async (tmp) => {
  for (let n = 1; n <= 100; n++) await tmp.set(n, n * n);
  let sum = 0;
  for await (const value of tmp.values()) sum += value as number;
  return sum;
});
console.log(
  `withTmp returned ${total}; the parent still holds only ${await stash.size()} entry: ${await stash.get('kept')}`,
);
