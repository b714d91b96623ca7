import type { Engine, EngineContext } from '../engines/engine.js';
import { engineFactory, memoryTierEngine } from '../engines/index.js';
import { DiskUpperTier } from './disk-tier.js';
import { MemoryUpperTier } from './memory-tier.js';
import type { ResolvedTier, TierCoherence } from './options.js';
import { scratchFolder } from './scratch.js';
import { TieredEngine } from './tiered-engine.js';
import type { UpperTier } from './upper-tier.js';

/**
 * The engine of a tiered stash: the last tier opens at the stash's own location, as the stash would without tiers
 * (so tiers can be put in front of an existing stash); a memory tier is a table named after that location and its
 * budget and policy (shared by the threads that open the same); a disk tier is a scratch folder of its own.
 */
export function createTieredEngine(
  tiers: readonly ResolvedTier[],
  context: EngineContext,
  coherence: TierCoherence,
): Engine {
  const last = engineFactory(tiers[tiers.length - 1].engine)(context);
  const upper = tiers.slice(0, -1).map((tier, i): UpperTier => {
    const { engine, evict } = tier;
    const maxBytes = tier.maxBytes!;
    if (engine === 'memory') {
      const path = `${context.path}#tier${i}:${maxBytes}:${evict}`;
      return new MemoryUpperTier(memoryTierEngine({ ...context, path, maxBytes, evict }), maxBytes);
    }
    const folder = scratchFolder(i);
    // A private scratch store: never readonly, whatever the stash is.
    return new DiskUpperTier(
      engineFactory(engine)({ ...context, path: folder, readonly: false }),
      folder,
      maxBytes,
      evict,
    );
  });
  return new TieredEngine(upper, last, { coherence: coherence === 'changes', now: context.now });
}
