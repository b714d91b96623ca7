import { checkInteger, checkOptionsObject, failOption } from '../checks.js';
import { ConfigError } from '../errors.js';
import { parseByteSize } from '../engines/memory/size.js';
import { parseTtl, type Ttl } from '../ttl.js';

/** What `stash.sequence(iterable, options)` takes. */
export interface SequenceOptions {
  /** The sequence's sub-stash of the stash (required): opening the same name again reuses what is stored there. */
  readonly name: string;
  /**
   * Items per shard (a positive integer), or a size like `'32mb'`: the count is then estimated from the encoded size of
   * the first 16 items. Fixed when the sequence is first created; a stored sequence keeps its
   * own (a different count given when reopening is a ConfigError). Default 512.
   */
  readonly shardLength?: number | string | undefined;
  /** Decoded shards kept in RAM, least recently used dropped first. Default 128. */
  readonly memoryShards?: number | undefined;
  /**
   * Bytes of shards kept in storage (a number or a size like `'16gb'`); beyond it the shards this process used least
   * recently are removed, and rebuilt by running the iterable again when next read. Default: no limit.
   */
  readonly maxDiskBytes?: number | string | undefined;
  /** Shards read (or generated) ahead of the one being iterated. Default 2; 0 turns it off. */
  readonly prefetch?: number | undefined;
  /**
   * How long a shard's generator holds its lease without renewing it (it renews every third of it while alive): a
   * generator that dies mid-shard is taken over by another reader this long after. Default `'30s'`.
   */
  readonly leaseTtl?: Ttl | undefined;
}

/** {@link SequenceOptions} checked, with defaults. `shardLength` is a count, or bytes to estimate one from. */
export interface ResolvedSequenceOptions {
  readonly name: string;
  readonly shardLength: { readonly items: number } | { readonly bytes: number };
  /** True when `shardLength` was given (so a stored sequence with another length is a ConfigError). */
  readonly shardLengthGiven: boolean;
  readonly memoryShards: number;
  readonly maxDiskBytes: number;
  readonly prefetch: number;
  readonly leaseTtl: number;
}

/** How many first items a byte-sized `shardLength` is estimated from. */
export const SIZE_SAMPLE_ITEMS = 16;

/** The defaults, in one place. */
export const SEQUENCE_DEFAULTS = {
  shardLength: 512,
  memoryShards: 128,
  maxDiskBytes: Infinity,
  prefetch: 2,
  leaseTtl: 30_000,
} as const;

const KNOWN = ['name', 'shardLength', 'memoryShards', 'maxDiskBytes', 'prefetch', 'leaseTtl'];
const SCOPE = 'sequence';

/** The options with defaults; ConfigError naming a bad one. */
export function resolveSequenceOptions(options: unknown): ResolvedSequenceOptions {
  if (options === undefined)
    throw new ConfigError(`stash.sequence needs options with a 'name': the sub-stash it is kept in`);
  checkOptionsObject(SCOPE, options, KNOWN);
  const given = options as SequenceOptions;
  const { name } = given;
  if (typeof name !== 'string' || name === '')
    failOption(SCOPE, 'name', 'a non-empty string (the sub-stash it is kept in)', name);
  checkInteger(SCOPE, 'memoryShards', given.memoryShards, 1);
  checkInteger(SCOPE, 'prefetch', given.prefetch, 0);
  return {
    name,
    shardLength: shardLengthOf(given.shardLength),
    shardLengthGiven: given.shardLength !== undefined,
    memoryShards: given.memoryShards ?? SEQUENCE_DEFAULTS.memoryShards,
    maxDiskBytes:
      given.maxDiskBytes === undefined ? SEQUENCE_DEFAULTS.maxDiskBytes : bytesOf('maxDiskBytes', given.maxDiskBytes),
    prefetch: given.prefetch ?? SEQUENCE_DEFAULTS.prefetch,
    leaseTtl:
      given.leaseTtl === undefined
        ? SEQUENCE_DEFAULTS.leaseTtl
        : parseTtl(given.leaseTtl, `${SCOPE} option 'leaseTtl'`),
  };
}

function shardLengthOf(value: unknown): ResolvedSequenceOptions['shardLength'] {
  if (value === undefined) return { items: SEQUENCE_DEFAULTS.shardLength };
  if (typeof value === 'number') {
    checkInteger(SCOPE, 'shardLength', value, 1);
    return { items: value };
  }
  if (typeof value === 'string' && !value.trim().endsWith('%')) return { bytes: bytesOf('shardLength', value) };
  return failOption(SCOPE, 'shardLength', "a positive integer (items) or a size like '32mb'", value);
}

function bytesOf(option: string, value: unknown): number {
  if (typeof value === 'string' && value.trim().endsWith('%'))
    failOption(SCOPE, option, "a number of bytes or a size like '16gb'", value);
  try {
    return parseByteSize(value, option);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${SCOPE} ${error.message}`);
    throw error;
  }
}
