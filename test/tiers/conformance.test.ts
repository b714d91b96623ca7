/**
 * A tiered stash is a stash like any other: the engine contract (`engineConformance`) holds for the chain as one
 * engine, and the facade's contract (`stashConformance`) for a stash with a memory tier, with tiny budgets so that
 * eviction, offload and reload run under every case. Over lmdb here, and over redis where its test server runs.
 */
import t from 'tap';
import { engineConformance, engineWatchConformance, stashConformance } from 'hashstash/test-suite';
import { createTieredEngine } from '../../src/tiers/create.js';
import type { EngineContext } from '../../src/engines/engine.js';
import type { ResolvedTier } from '../../src/tiers/options.js';
import { redisUrl, serverSkip } from '../helpers/servers.js';

t.setTimeout(600_000);

const KB = 1024;
const chain = (last: string): ResolvedTier[] => [
  { engine: 'memory', maxBytes: 64 * KB, evict: 'lru' },
  { engine: 'sqlite', maxBytes: 256 * KB, evict: 'lru' },
  { engine: last, maxBytes: undefined, evict: 'lru' },
];

for (const coherence of ['changes', 'none'] as const) {
  t.test(`memory and disk tiers over lmdb (coherence '${coherence}') pass the engine conformance suite`, async (t) => {
    const factory = (context: EngineContext) => createTieredEngine(chain('lmdb'), context, coherence);
    engineConformance({ test: t.test.bind(t), name: 'lmdb', factory });
    if (coherence === 'changes') engineWatchConformance({ test: t.test.bind(t), name: 'lmdb', factory });
  });
}

t.test('a stash with a memory tier over lmdb passes the stash conformance suite', async (t) => {
  stashConformance({
    test: t.test.bind(t),
    engine: 'lmdb',
    name: 'memory tier over lmdb',
    // Readonly stashes cannot follow changes (a ConfigError): the suite opens some, so it runs without coherence,
    // which the engine suite above and tiers.test.ts cover.
    options: () => ({ memory: { maxBytes: 64 * KB }, coherence: 'none' }),
    persistent: true,
    sync: false,
    onDisk: true,
    bigCount: 20_000,
  });
});

t.test(
  'a stash with a memory tier over redis passes the stash conformance suite',
  { skip: serverSkip('redis') },
  async (t) => {
    stashConformance({
      test: t.test.bind(t),
      engine: 'redis',
      name: 'memory tier over redis',
      options: (root) => ({ url: redisUrl(), root, memory: { maxBytes: 64 * KB }, coherence: 'none' }),
      persistent: true,
      sync: false,
      onDisk: false,
      bigCount: 20_000,
    });
  },
);
