// Type tests: tiers. The tier options take known engines, budgets and policies (a tier always evicts, so 'none' is
// refused at compile time); prefetch takes the stash's key type and resolves to a count; stats() types each tier.
// Compiled, never run: see README.md here.
import { expectTypeOf } from 'expect-type';
import { HashStash, type TierOptions, type TierStats } from 'hashstash';

const stash = new HashStash<{ id: number }, string>({
  engine: 'redis',
  memory: { maxBytes: '256mb', evict: 'lfu' },
  coherence: 'none',
});
new HashStash({
  tiers: [
    { engine: 'memory', maxBytes: 1 << 20 },
    { engine: 'lmdb', maxBytes: '20gb' },
    { engine: 'redis', url: 'redis://h' },
  ],
});

// @ts-expect-error a tier always evicts: 'none' is the memory engine's, not a tier's
new HashStash({ memory: { maxBytes: '1mb', evict: 'none' } });
// @ts-expect-error coherence is 'changes' or 'none'
new HashStash({ memory: { maxBytes: '1mb' }, coherence: 'eventual' });
// @ts-expect-error a tier's budget is bytes or a size
const badTier: TierOptions = { engine: 'memory', maxBytes: true };
void badTier;
// @ts-expect-error unknown tier option
new HashStash({ tiers: [{ engine: 'memory', maxBytes: '1mb', size: 3 }, { engine: 'lmdb' }] });

expectTypeOf(stash.prefetch([{ id: 1 }])).toEqualTypeOf<Promise<number>>();
// @ts-expect-error prefetch takes the stash's keys
void stash.prefetch(['a']);
const { tiers } = await stash.stats();
expectTypeOf(tiers).toEqualTypeOf<readonly TierStats[] | undefined>();
expectTypeOf(tiers![0].evictions.budget).toEqualTypeOf<number>();
expectTypeOf(tiers![0].maxBytes).toEqualTypeOf<number | undefined>();
