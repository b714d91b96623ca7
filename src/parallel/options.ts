import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { checkOptionsObject, checkTtl, checkType, failOption } from '../checks.js';
import { ConfigError } from '../errors.js';
import { resolveQueueMapOptions, type QueueMapOptions, type ResolvedQueueMapOptions } from '../queue/options.js';
import type { Ttl } from '../ttl.js';

/**
 * What runs the items: `'threads'` (the default), worker threads of this process; `'processes'`, child processes,
 * which isolate native code and memory (a crash or a leak there ends only that child) at the cost of a process each.
 */
export type MapBackend = 'threads' | 'processes';

/** The options of `stash.map`; every one is optional. */
export interface MapOptions {
  /** Workers (threads or processes, see `backend`). Default: cores - 1, at least 1. */
  numProc?: number | undefined;
  /** `'threads'` (default) or `'processes'`: see {@link MapBackend}. Not with `queue`. */
  backend?: MapBackend | undefined;
  /** Extra arguments after the item, common to every call; part of every item's key. */
  args?: readonly unknown[] | undefined;
  /** One more argument per item, passed last: an array as long as the items. */
  options?: readonly unknown[] | undefined;
  /** Iterate in input order (default); false: in completion order. `all()` is always in input order. */
  ordered?: boolean | undefined;
  /** A bar on stderr (a line every few seconds when stderr is not a terminal). Default: when stderr is a terminal. */
  progress?: boolean | undefined;
  /** The bar's label. Default `Mapping <function name>`. */
  desc?: string | undefined;
  /** Start at once, in the background (default); false: on first iteration or `all()`. */
  precompute?: boolean | undefined;
  /** Store each call's result where `stash.run(fn, item, ...args)` would (default true). */
  stashRuns?: boolean | undefined;
  /** Also store the whole list of results under the map's own key (default false). */
  stashMap?: boolean | undefined;
  /** Recompute every item and overwrite what is stored. */
  force?: boolean | undefined;
  /** Aborting stops the workers at once; results finished before are kept and stored. */
  signal?: AbortSignal | undefined;
  /**
   * Memory limits for each worker; a worker that exceeds them is replaced and its item fails. With backend
   * `'processes'` only `maxOldGenerationSizeMb` applies (as the child's `--max-old-space-size`).
   */
  resourceLimits?: ResourceLimits | undefined;
  /**
   * How long stored results are used: ms, or a duration like `'30s'`, `'1h'`, `'7d'`. Each result (and with
   * `stashMap` the list) is stored with this expiry; an expired one is computed again. Unset: the stash's `ttl`
   * option (none: results never expire).
   */
  ttl?: Ttl | undefined;
  /**
   * Run the items as jobs on a BullMQ queue instead of this process's threads: `{ url, name, attempts, backoff, … }`.
   * Processes started with `hashstash worker --name <name>` (on any machine) compute them. The function must be
   * `{ module, export }` (or source, for workers started with `--trust-code`).
   */
  queue?: QueueMapOptions | undefined;
}

export interface ResolvedMapOptions {
  readonly numProc: number;
  readonly backend: MapBackend;
  readonly args: readonly unknown[];
  readonly options: readonly unknown[] | undefined;
  readonly ordered: boolean;
  readonly progress: boolean;
  readonly desc: string | undefined;
  readonly precompute: boolean;
  readonly stashRuns: boolean;
  readonly stashMap: boolean;
  readonly force: boolean;
  readonly signal: AbortSignal | undefined;
  readonly resourceLimits: ResourceLimits | undefined;
  /** In ms; undefined: the stash's default. */
  readonly ttl: number | undefined;
  readonly queue: ResolvedQueueMapOptions | undefined;
}

/** Defaults that do not depend on the machine or the terminal. */
export const MAP_DEFAULTS = {
  backend: 'threads',
  args: [],
  ordered: true,
  precompute: true,
  stashRuns: true,
  stashMap: false,
  force: false,
} as const;

const BOOLEAN_OPTIONS = ['ordered', 'progress', 'precompute', 'stashRuns', 'stashMap', 'force'] as const;
const RESOURCE_LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];
/** The limits a child process takes: V8's heap limit has a Node option; the others are a worker thread's only. */
const PROCESS_RESOURCE_LIMITS = ['maxOldGenerationSizeMb'];
const BACKENDS: readonly MapBackend[] = ['threads', 'processes'];
const OPTION_NAMES: readonly string[] = [
  'numProc',
  'args',
  'options',
  'ordered',
  'progress',
  'desc',
  'precompute',
  'stashRuns',
  'stashMap',
  'force',
  'signal',
  'resourceLimits',
  'ttl',
  'queue',
  'backend',
];

export function defaultNumProc(): number {
  return Math.max(1, availableParallelism() - 1);
}

function fail(name: string, expected: string, value: unknown): never {
  failOption('stash.map', name, expected, value);
}

function checkResourceLimits(value: unknown, backend: MapBackend): ResourceLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('resourceLimits', 'an object', value);
  for (const [key, limit] of Object.entries(value)) {
    if (!RESOURCE_LIMITS.includes(key)) {
      throw new ConfigError(
        `stash.map option 'resourceLimits' has an unknown field '${key}'; valid fields are ${RESOURCE_LIMITS.join(', ')}`,
      );
    }
    if (limit !== undefined && (typeof limit !== 'number' || !(limit > 0) || !Number.isFinite(limit))) {
      fail(`resourceLimits.${key}`, 'a positive number of megabytes', limit);
    }
    if (backend === 'processes' && limit !== undefined && !PROCESS_RESOURCE_LIMITS.includes(key)) {
      throw new ConfigError(
        `stash.map option 'resourceLimits.${key}' is for worker threads; with backend 'processes' only ` +
          `${PROCESS_RESOURCE_LIMITS.join(', ')} applies (as the child's --max-old-space-size)`,
      );
    }
  }
  return value;
}

/**
 * Applies defaults and checks every option; `itemCount` is the number of items, which `options` must match.
 * Anything unknown or ill-typed throws ConfigError naming the option.
 */
export function resolveMapOptions(given: MapOptions | undefined, itemCount: number): ResolvedMapOptions {
  if (given === undefined) given = {};
  checkOptionsObject('stash.map', given, OPTION_NAMES);
  const { numProc, args, options, desc, signal, resourceLimits } = given;
  if (given.backend !== undefined && !BACKENDS.includes(given.backend))
    fail('backend', BACKENDS.map((name) => `'${name}'`).join(' or '), given.backend);
  const backend = given.backend ?? MAP_DEFAULTS.backend;
  if (numProc !== undefined && (!Number.isInteger(numProc) || numProc < 1))
    fail('numProc', 'an integer of at least 1', numProc);
  if (args !== undefined && !Array.isArray(args)) fail('args', 'an array of extra arguments', args);
  if (options !== undefined) {
    if (!Array.isArray(options)) fail('options', `an array with one entry per item (${itemCount})`, options);
    if (options.length !== itemCount) {
      throw new ConfigError(
        `stash.map option 'options' must have one entry per item: ${itemCount} items, ${options.length} options`,
      );
    }
  }
  for (const name of BOOLEAN_OPTIONS) checkType('stash.map', name, given[name], 'boolean');
  checkType('stash.map', 'desc', desc, 'string');
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('signal', 'an AbortSignal', signal);
  const ttl = checkTtl('stash.map', 'ttl', given.ttl);
  const queue = given.queue === undefined ? undefined : resolveQueueMapOptions(given.queue);
  if (queue && numProc !== undefined) {
    throw new ConfigError(
      `stash.map options 'numProc' and 'queue' do not go together: the queue's workers run as many items at once as ` +
        `their --concurrency says`,
    );
  }
  if (queue && given.backend !== undefined) {
    throw new ConfigError(
      `stash.map options 'backend' and 'queue' do not go together: the queue's workers run every item on threads ` +
        `of their own`,
    );
  }
  return {
    numProc: numProc ?? defaultNumProc(),
    backend,
    args: args ?? MAP_DEFAULTS.args,
    options,
    ordered: given.ordered ?? MAP_DEFAULTS.ordered,
    progress: given.progress ?? process.stderr.isTTY === true,
    desc,
    precompute: given.precompute ?? MAP_DEFAULTS.precompute,
    stashRuns: given.stashRuns ?? MAP_DEFAULTS.stashRuns,
    stashMap: given.stashMap ?? MAP_DEFAULTS.stashMap,
    force: given.force ?? MAP_DEFAULTS.force,
    signal,
    resourceLimits: resourceLimits === undefined ? undefined : checkResourceLimits(resourceLimits, backend),
    ttl,
    queue,
  };
}
