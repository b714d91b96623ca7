/**
 * The tier options: what a user may build, and a ConfigError naming the fault for what makes no sense (a budget too
 * small to hold one entry segment, an unknown policy, an unbounded tier above another, a server above the last tier).
 */
import t from 'tap';
import { ConfigError, HashStash, type HashStashOptions } from '../../src/index.js';

const refused: [string, HashStashOptions, RegExp][] = [
  [
    'maxBytes smaller than one entry segment',
    { memory: { maxBytes: 1_000 } },
    /maxBytes 1000 is smaller than one entry segment/,
  ],
  ['maxBytes that is no size', { memory: { maxBytes: 'lots' } }, /memory\.maxBytes' must be a size/],
  [
    'an unknown policy',
    { memory: { maxBytes: '1mb', evict: 'random' as never } },
    /unknown evict for a memory tier 'random'/,
  ],
  [
    'evict none on a tier',
    { memory: { maxBytes: '1mb', evict: 'none' as never } },
    /unknown evict for a memory tier 'none'/,
  ],
  [
    'lfu on a disk tier',
    { tiers: [{ engine: 'lmdb', maxBytes: '1mb', evict: 'lfu' }, { engine: 'sqlite' }] },
    /unknown evict for a disk tier 'lfu'; expected one of 'lru', 'fifo'/,
  ],
  [
    'a first tier that is not bounded',
    { tiers: [{ engine: 'memory' }, { engine: 'lmdb' }] },
    /tiers\[0\]' \('memory'\) has no maxBytes: every tier above the last needs a byte budget/,
  ],
  [
    'two unbounded tiers',
    { tiers: [{ engine: 'memory', maxBytes: '1mb' }, { engine: 'lmdb' }, { engine: 'sqlite' }] },
    /tiers\[1\]' \('lmdb'\) has no maxBytes/,
  ],
  [
    'a bounded last tier',
    {
      tiers: [
        { engine: 'memory', maxBytes: '1mb' },
        { engine: 'lmdb', maxBytes: '1gb' },
      ],
    },
    /the last tier holds every entry, so it takes no maxBytes/,
  ],
  [
    'a server above the last tier',
    { tiers: [{ engine: 'redis', maxBytes: '1mb' }, { engine: 'lmdb' }] },
    /a tier above the last must be local/,
  ],
  [
    'a url above the last tier',
    { tiers: [{ engine: 'memory', maxBytes: '1mb', url: 'redis://x' }, { engine: 'lmdb' }] },
    /only the last tier talks to a server/,
  ],
  ['a single tier', { tiers: [{ engine: 'lmdb' }] }, /option 'tiers' must be an array of at least two tiers/],
  ['tiers that are no array', { tiers: 'memory' as never }, /option 'tiers' must be an array/],
  [
    'an unknown tier option',
    { tiers: [{ engine: 'memory', maxBytes: '1mb', size: 3 } as never, { engine: 'lmdb' }] },
    /unknown option 'tiers\[0\]\.size'|unknown tiers\[0\] option 'size'/,
  ],
  ['both memory and tiers', { memory: { maxBytes: '1mb' }, tiers: [] }, /'memory' and 'tiers' cannot both be given/],
  [
    'a memory tier on the memory engine',
    { engine: 'memory', memory: { maxBytes: '1mb' } },
    /which is 'memory' already/,
  ],
  [
    'an engine that is not the last tier',
    { engine: 'sqlite', tiers: [{ engine: 'memory', maxBytes: '1mb' }, { engine: 'lmdb' }] },
    /option 'engine' 'sqlite' is not the last tier's engine 'lmdb'/,
  ],
  [
    'an unknown coherence',
    { memory: { maxBytes: '1mb' }, coherence: 'eventual' as never },
    /unknown coherence 'eventual'/,
  ],
  [
    'a readonly stash that would follow changes',
    { readonly: true, memory: { maxBytes: '1mb' } },
    /a readonly stash cannot follow the changes of its last tier/,
  ],
  [
    'an unknown last engine',
    { tiers: [{ engine: 'memory', maxBytes: '1mb' }, { engine: 'leveldb' }] },
    /unknown engine 'leveldb'/,
  ],
];

for (const [what, options, message] of refused) {
  t.test(`${what} is a ConfigError naming it`, async (t) => {
    t.throws(() => new HashStash({ root: t.testdir(), ...options }), { name: 'ConfigError', message });
  });
}

t.test('what a user may build, resolved', async (t) => {
  const root = t.testdir();
  const memory = new HashStash({ root, engine: 'sqlite', memory: { maxBytes: '1mb', evict: 'lfu' } });
  t.same(memory.options.tiers, [
    { engine: 'memory', maxBytes: 1024 * 1024, evict: 'lfu' },
    { engine: 'sqlite', maxBytes: undefined, evict: 'lru' },
  ]);
  t.equal(memory.options.engine, 'sqlite', 'the stash is the last tier');
  t.equal(memory.options.coherence, 'changes', 'coherence by default');
  t.match(String(memory), /^SqliteHashStash\(/);
  t.same(memory.toJSON().tiers, memory.options.tiers, 'toJSON shows the tiers');

  const chain = new HashStash({
    root,
    tiers: [
      { engine: 'memory', maxBytes: '1mb' },
      { engine: 'lmdb', maxBytes: '20mb', evict: 'fifo' },
      { engine: 'sqlite' },
    ],
    coherence: 'none',
  });
  t.equal(chain.options.engine, 'sqlite');
  t.equal(chain.options.tiers?.length, 3);
  t.equal(chain.options.coherence, 'none');

  const plain = new HashStash({ root, engine: 'sqlite' });
  t.equal(plain.path, memory.path, 'tiers in front of a stash keep its location: it reads what the stash holds');
  t.equal(plain.options.tiers, undefined);
  t.equal(await plain.prefetch([1, 2]), 0, 'prefetch on a stash without tiers loads nothing');
  await Promise.all([memory.close(), chain.close(), plain.close()]);
});

t.test('prefetch options are checked', async (t) => {
  await using stash = new HashStash({ root: t.testdir(), memory: { maxBytes: '1mb' } });
  await t.rejects(stash.prefetch([1], { when: 'now' } as never), ConfigError);
  await t.rejects(stash.prefetch([1], { signal: 'stop' as never }), { message: /'signal' must be an AbortSignal/ });
  await t.rejects(stash.prefetch([1], { signal: AbortSignal.abort(new Error('no more')) }), { message: 'no more' });
});
