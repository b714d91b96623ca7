import { checkOneOf, checkOptionsObject, checkType, describe } from '../checks.js';
import { ConfigError } from '../errors.js';
import type { EvictionPolicy } from '../engines/memory/eviction.js';
import { parseByteSize } from '../engines/memory/size.js';

/**
 * A memory tier in front of the stash's engine (the `memory` option): the hot part of the stash, kept in the process's
 * shared memory within a byte budget, shared by every worker thread. `{ maxBytes: '256mb', evict: 'lfu' }`.
 */
export interface MemoryTierOptions {
  /** The tier's byte budget: bytes, or a size like '256mb' or '10%' (of the machine's memory). Default '25%'. */
  maxBytes?: number | string | undefined;
  /** What the tier drops when its budget is full: `'lru'` (the default), `'lfu'` or `'fifo'`. */
  evict?: TierEvictionPolicy | undefined;
}

/** How a tier picks what to drop when its budget is full (see {@link EvictionPolicy}); a tier always drops something. */
export type TierEvictionPolicy = Exclude<EvictionPolicy, 'none'>;

/**
 * One tier of a tiered stash (the `tiers` option), fastest first. Every tier above the last has a byte budget; the
 * last tier holds every entry (it is the stash's own storage, where every write lands before it resolves).
 */
export interface TierOptions {
  /**
   * The tier's engine. Above the last tier: `'memory'` (shared by the process's threads) or a local engine, `'lmdb'`,
   * `'sqlite'` or `'pairtree'`, which is then this stash object's own scratch space on disk (LitData's offload
   * folder), emptied when it closes. The last tier: any engine.
   */
  engine: string;
  /** The budget of a tier above the last: bytes, or a size like '256mb' or '20gb'. The last tier takes none. */
  maxBytes?: number | string | undefined;
  /** What a bounded tier drops when full: `'lru'` (the default) or `'fifo'`; a memory tier also `'lfu'`. */
  evict?: TierEvictionPolicy | undefined;
  /** The server of the last tier, when it is redis or mongo (else the `url` option or its environment variable). */
  url?: string | undefined;
}

/**
 * How a tiered stash keeps its upper tiers true to the last one: `'changes'` (the default) drops an upper tier's copy
 * of a key when any thread or process changes it, through the last tier's change feed; `'none'` trusts the data never
 * to change behind this process's back.
 */
export type TierCoherence = 'changes' | 'none';

/** Options of `stash.prefetch`. */
export interface PrefetchOptions {
  /** Stops loading; the promise rejects with the signal's reason (what was loaded stays). */
  signal?: AbortSignal | undefined;
}

/** The prefetch options, checked: the signal. ConfigError for an unknown option or a signal that is not one. */
export function checkPrefetchOptions(options: unknown): AbortSignal | undefined {
  checkOptionsObject('prefetch', options, ['signal']);
  const { signal } = options as PrefetchOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new ConfigError(`prefetch option 'signal' must be an AbortSignal, got ${describe(signal)}`);
  return signal;
}

/** One resolved tier: the engine, and for a tier above the last its budget in bytes and its policy. */
export interface ResolvedTier {
  /** The engine's name. */
  readonly engine: string;
  /** The budget in bytes; undefined for the last tier, which holds everything. */
  readonly maxBytes: number | undefined;
  /** What the tier drops when its budget is full (the last tier: never used). */
  readonly evict: TierEvictionPolicy;
}

/** The least budget of a tier: one memory segment, the unit the memory engine grows and evicts by. */
export const MIN_TIER_BYTES = 64 * 1024;
/** The engines a tier above the last may use: memory, or local engines that become scratch space on disk. */
export const UPPER_TIER_ENGINES = ['memory', 'lmdb', 'sqlite', 'pairtree'] as const;
export const TIER_DEFAULTS = {
  /** The memory tier's budget when `memory: {}` gives none. */
  memoryMaxBytes: '25%',
  evict: 'lru',
  coherence: 'changes',
} as const satisfies { memoryMaxBytes: string; evict: TierEvictionPolicy; coherence: TierCoherence };

const TIER_OPTION_NAMES = ['engine', 'maxBytes', 'evict', 'url'];
const MEMORY_OPTION_NAMES = ['maxBytes', 'evict'];

/**
 * The tier chain from the `memory` or `tiers` option, with the last tier's engine and url; undefined when neither is
 * given. ConfigError for: both given, fewer than two tiers, a tier above the last without a budget (so also two
 * unbounded tiers) or on an engine that is not local, a last tier with a budget, a budget under one segment, an
 * unknown policy, or a `url` above the last tier.
 */
export function resolveTiers(given: {
  readonly memory?: unknown;
  readonly tiers?: unknown;
  readonly engine: unknown;
  readonly engineGiven: boolean;
  readonly readonly: unknown;
  readonly coherence: TierCoherence;
}): { tiers: readonly ResolvedTier[]; engine: string; url: string | undefined } | undefined {
  const chain = resolveGiven(given);
  if (chain && given.readonly === true && given.coherence === 'changes' && chain.engine !== 'memory')
    throw new ConfigError(
      `a readonly stash cannot follow the changes of its last tier (a watcher registers itself in the storage), ` +
        `so its tiers could serve stale values: open it writable, or pass coherence: 'none' for data that does not change`,
    );
  return chain;
}

function resolveGiven(given: {
  readonly memory?: unknown;
  readonly tiers?: unknown;
  readonly engine: unknown;
  readonly engineGiven: boolean;
}): { tiers: readonly ResolvedTier[]; engine: string; url: string | undefined } | undefined {
  const { memory, tiers } = given;
  if (memory !== undefined && tiers !== undefined)
    throw new ConfigError(`options 'memory' and 'tiers' cannot both be given: 'memory' is the chain [memory, engine]`);
  if (memory !== undefined) {
    checkOptionsObject('memory', memory, MEMORY_OPTION_NAMES, `option 'memory'`);
    const { maxBytes, evict } = memory as MemoryTierOptions;
    if (given.engine === 'memory')
      throw new ConfigError(`option 'memory' puts a memory tier in front of the engine, which is 'memory' already`);
    return resolveChain(
      [
        { engine: 'memory', maxBytes: maxBytes ?? TIER_DEFAULTS.memoryMaxBytes, evict },
        { engine: given.engine as string },
      ],
      'memory',
    );
  }
  if (tiers === undefined) return undefined;
  if (!Array.isArray(tiers) || tiers.length < 2)
    throw new ConfigError(`option 'tiers' must be an array of at least two tiers, got ${describe(tiers)}`);
  const chain = tiers.map((tier: unknown, i) => {
    checkOptionsObject(`tiers[${i}]`, tier, TIER_OPTION_NAMES, `option 'tiers[${i}]'`);
    return tier as TierOptions;
  });
  const last = chain[chain.length - 1];
  if (given.engineGiven && given.engine !== last.engine)
    throw new ConfigError(
      `option 'engine' ${describe(given.engine)} is not the last tier's engine ${describe(last.engine)}: give one or the other`,
    );
  return resolveChain(chain, 'tiers');
}

function resolveChain(
  chain: readonly TierOptions[],
  option: string,
): { tiers: readonly ResolvedTier[]; engine: string; url: string | undefined } {
  const lastIndex = chain.length - 1;
  const tiers = chain.map((tier, i): ResolvedTier => {
    const where = option === 'memory' ? `option 'memory'` : `option 'tiers[${i}]'`;
    checkType('', `${option === 'memory' ? 'memory' : `tiers[${i}]`}.engine`, tier.engine, 'string');
    if (i === lastIndex) {
      if (tier.maxBytes !== undefined && tier.engine !== 'memory')
        throw new ConfigError(
          `${where}: the last tier holds every entry, so it takes no maxBytes (every tier above it needs one)`,
        );
      return { engine: tier.engine, maxBytes: undefined, evict: TIER_DEFAULTS.evict };
    }
    if (tier.url !== undefined) throw new ConfigError(`${where}: only the last tier talks to a server (url)`);
    if (!(UPPER_TIER_ENGINES as readonly string[]).includes(tier.engine))
      throw new ConfigError(
        `${where}: a tier above the last must be local, one of ${UPPER_TIER_ENGINES.map((e) => `'${e}'`).join(', ')}; got ${describe(tier.engine)}`,
      );
    if (tier.maxBytes === undefined)
      throw new ConfigError(
        `${where} ('${tier.engine}') has no maxBytes: every tier above the last needs a byte budget, and only the last holds everything`,
      );
    const maxBytes = parseByteSize(tier.maxBytes, `${option === 'memory' ? 'memory' : `tiers[${i}]`}.maxBytes`);
    if (maxBytes < MIN_TIER_BYTES)
      throw new ConfigError(
        `${where}: maxBytes ${maxBytes} is smaller than one entry segment (${MIN_TIER_BYTES} bytes), the least a tier holds`,
      );
    const policies: readonly TierEvictionPolicy[] = tier.engine === 'memory' ? ['lru', 'lfu', 'fifo'] : ['lru', 'fifo'];
    const evict = checkOneOf(
      `evict ${tier.engine === 'memory' ? 'for a memory tier' : 'for a disk tier'}`,
      tier.evict ?? TIER_DEFAULTS.evict,
      policies,
    );
    return { engine: tier.engine, maxBytes, evict };
  });
  const last = chain[lastIndex];
  if (last.url !== undefined) checkType('', 'url', last.url, 'string');
  return { tiers, engine: last.engine, url: last.url };
}
