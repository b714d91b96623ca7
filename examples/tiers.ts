// Tiers: the hot part of a stash in shared memory, in front of the stash's own storage (here lmdb; the same options
// put it in front of redis or mongo). Reads copy what they find into the memory tier; writes land in lmdb before
// they resolve; a write through another stash object (or process) reaches the tier through lmdb's change feed.
// A chain adds a disk tier that takes what the memory tier evicts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HashStash } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-tiers-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

// Some data already stored, as an existing stash holds it.
await using plain = new HashStash<number, { id: number; name: string }>({ root });
await plain.setMany(Array.from({ length: 1_000 }, (_, i) => [i, { id: i, name: `user ${i}` }] as const));

// The same stash with a memory tier of 256 KB in front.
await using stash = new HashStash<number, { id: number; name: string }>({
  root,
  memory: { maxBytes: '256kb', evict: 'lru' },
});
console.log(`prefetched ${await stash.prefetch([1, 2, 3])} keys`);
for (let round = 0; round < 10; round++) for (const id of [1, 2, 3, 4]) await stash.get(id);
const [memory, lmdb] = (await stash.stats()).tiers!;
console.log(`memory tier: ${memory.hits} hits, ${memory.misses} misses; lmdb: ${lmdb.hits} hits`);

// Another stash object writes: the tier follows lmdb's change feed.
await plain.set(2, { id: 2, name: 'renamed' });
let read = await stash.get(2);
for (let tries = 0; read?.name !== 'renamed' && tries < 500; tries++) read = (await sleep(2), await stash.get(2));
console.log(`after a write elsewhere: ${read?.name}`);

// A chain: what the memory tier evicts is offloaded to a disk tier, and reloaded from there.
await using chain = new HashStash<number, { id: number; name: string }>({
  root,
  tiers: [{ engine: 'memory', maxBytes: '64kb' }, { engine: 'sqlite', maxBytes: '16mb' }, { engine: 'lmdb' }],
});
await chain.prefetch([]);
for (let pass = 0; pass < 2; pass++) for (let id = 0; id < 1_000; id++) await chain.get(id);
const tiers = (await chain.stats()).tiers!;
console.log(
  `chain: ${tiers.map((tier) => tier.engine).join(' > ')}; offloaded ${tiers[1].offloads > 0 ? 'some' : 'none'}, ` +
    `reloaded ${tiers[1].reloads > 0 ? 'some' : 'none'}; every budget kept: ${tiers.every((tier) => tier.maxBytes === undefined || tier.peakBytes <= tier.maxBytes)}`,
);
