import { checkInteger, checkOneOf, checkOptionsObject, checkTtl, checkType, failOption } from '../checks.js';
import { checkServerUrl } from '../server-url.js';
import type { Ttl } from '../ttl.js';

/** How long a failed job waits before its next attempt: a fixed delay in ms, or a policy. */
export type QueueBackoff =
  | number
  | {
      /** `'fixed'`: `delay` every time; `'exponential'`: `delay`, then twice that, four times… */
      readonly type: 'fixed' | 'exponential';
      /** In ms. */
      readonly delay: number;
    };

/** Who writes a result: the worker (into a stash every machine reaches), or the producer (from the job's return). */
export type QueueResults = 'auto' | 'worker' | 'producer';

/** `stash.map(fn, items, { queue })`: run the items as jobs on a BullMQ queue, served by `hashstash worker`. */
export interface QueueMapOptions {
  /** The queue's Redis. Default: `$REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string | undefined;
  /** The queue's name (letters, digits, `.`, `_`, `-`); the workers serve it by this name. */
  name: string;
  /** Tries per item before it fails (default 1: no retry). */
  attempts?: number | undefined;
  /** The wait before a retry: ms, or `{ type: 'fixed' | 'exponential', delay }`. Default: none. */
  backoff?: QueueBackoff | undefined;
  /**
   * `'auto'` (default): the workers write results when the stash is on redis or mongo and writable, else they return
   * them and this process writes them. `'worker'` insists on the first (ConfigError when the stash is local),
   * `'producer'` on the second.
   */
  results?: QueueResults | undefined;
  /** When results are returned: how long a finished job (and its result) stays for other producers. Default 1 hour. */
  keepCompleted?: Ttl | undefined;
  /** How long a failed job stays for inspection; the next map of the same item tries it again. Default 1 hour. */
  keepFailed?: Ttl | undefined;
}

export interface ResolvedQueueMapOptions {
  readonly url: string;
  readonly name: string;
  readonly attempts: number;
  readonly backoff: { readonly type: 'fixed' | 'exponential'; readonly delay: number } | undefined;
  readonly results: QueueResults;
  /** In ms. */
  readonly keepCompleted: number;
  /** In ms. */
  readonly keepFailed: number;
}

/** `serveStashQueue(options)` and `hashstash worker`. */
export interface ServeQueueOptions {
  /** The queue's Redis. Default: `$REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string | undefined;
  /** The queue's name, as the producers give it. */
  name: string;
  /** Jobs run at once, each on a worker thread of its own (default 1). */
  concurrency?: number | undefined;
  /** Run functions shipped as source (anyone who can write to the queue's Redis can then run code here). Default false. */
  trustCode?: boolean | undefined;
  /** How long a job's lock lasts without renewal (renewed at half of it); a dead worker's job is retried after it. Default 30 s. */
  lockDuration?: number | undefined;
  /** How often this worker looks for jobs whose worker died. Default 15 s. */
  stalledInterval?: number | undefined;
  /** How many times a job may stall (its worker die) before it fails. Default 1. */
  maxStalledCount?: number | undefined;
  /**
   * Server URLs with credentials for the stashes the producers name: a job carries its stash's URL with the password
   * hidden, and the worker connects with the one here (or `$REDIS_URL`, `$MONGODB_URL`, the queue's URL) that hides the same way.
   */
  stashUrls?: readonly string[] | undefined;
  /** Aborting closes the worker as `close()` does. */
  signal?: AbortSignal | undefined;
}

export interface ResolvedServeQueueOptions {
  readonly url: string;
  readonly name: string;
  readonly concurrency: number;
  readonly trustCode: boolean;
  readonly lockDuration: number;
  readonly stalledInterval: number;
  readonly maxStalledCount: number;
  readonly stashUrls: readonly string[];
  readonly signal: AbortSignal | undefined;
}

/** What a queue worker has counted since it started. */
export interface QueueWorkerCounts {
  /** Jobs whose function ran and returned. */
  readonly computed: number;
  /** Jobs whose result was already stored: nothing ran. */
  readonly cached: number;
  /** Jobs that failed (a retry counts again). */
  readonly failed: number;
}

export const QUEUE_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  attempts: 1,
  results: 'auto',
  keepCompleted: 3_600_000,
  keepFailed: 3_600_000,
  concurrency: 1,
  trustCode: false,
  lockDuration: 30_000,
  stalledInterval: 15_000,
  maxStalledCount: 1,
} as const;

const QUEUE_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const MAP_FIELDS = ['url', 'name', 'attempts', 'backoff', 'results', 'keepCompleted', 'keepFailed'];
const SERVE_FIELDS = [
  'url',
  'name',
  'concurrency',
  'trustCode',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
  'stashUrls',
  'signal',
];

function queueUrl(scope: string, url: unknown): string {
  checkType(scope, 'url', url, 'string');
  const resolved = (url as string | undefined) ?? process.env.REDIS_URL ?? QUEUE_DEFAULTS.url;
  checkServerUrl(resolved, 'queue', ['redis', 'rediss']);
  return resolved;
}

function queueName(scope: string, name: unknown): string {
  if (typeof name !== 'string' || !QUEUE_NAME.test(name))
    failOption(scope, 'name', 'a queue name of letters, digits, ., _ and - (at most 100)', name);
  return name;
}

function backoffOf(value: unknown): ResolvedQueueMapOptions['backoff'] {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (!(value >= 0) || !Number.isFinite(value)) failOption('queue', 'backoff', 'a delay in ms', value);
    return { type: 'fixed', delay: value };
  }
  checkOptionsObject('queue', value, ['type', 'delay'], "queue option 'backoff'");
  const { type, delay } = value as { type?: unknown; delay?: unknown };
  const kind = checkOneOf("queue option 'backoff.type'", type, ['fixed', 'exponential'] as const);
  if (typeof delay !== 'number' || !(delay >= 0) || !Number.isFinite(delay))
    failOption('queue', 'backoff.delay', 'a delay in ms', delay);
  return { type: kind, delay };
}

/** The `queue` option of `stash.map`, checked, with defaults. */
export function resolveQueueMapOptions(given: unknown): ResolvedQueueMapOptions {
  checkOptionsObject('queue', given, MAP_FIELDS, "stash.map option 'queue'");
  const options = given as QueueMapOptions;
  checkInteger('queue', 'attempts', options.attempts, 1);
  return {
    url: queueUrl('queue', options.url),
    name: queueName('queue', options.name),
    attempts: options.attempts ?? QUEUE_DEFAULTS.attempts,
    backoff: backoffOf(options.backoff),
    results:
      options.results === undefined
        ? QUEUE_DEFAULTS.results
        : checkOneOf("queue option 'results'", options.results, ['auto', 'worker', 'producer'] as const),
    keepCompleted: checkTtl('queue', 'keepCompleted', options.keepCompleted) ?? QUEUE_DEFAULTS.keepCompleted,
    keepFailed: checkTtl('queue', 'keepFailed', options.keepFailed) ?? QUEUE_DEFAULTS.keepFailed,
  };
}

/** The options of `serveStashQueue`, checked, with defaults. */
export function resolveServeQueueOptions(given: unknown): ResolvedServeQueueOptions {
  checkOptionsObject('serveStashQueue', given, SERVE_FIELDS);
  const options = given as ServeQueueOptions;
  const scope = 'serveStashQueue';
  checkInteger(scope, 'concurrency', options.concurrency, 1);
  checkInteger(scope, 'lockDuration', options.lockDuration, 100);
  checkInteger(scope, 'stalledInterval', options.stalledInterval, 100);
  checkInteger(scope, 'maxStalledCount', options.maxStalledCount, 0);
  checkType(scope, 'trustCode', options.trustCode, 'boolean');
  const { stashUrls, signal } = options;
  if (stashUrls !== undefined && (!Array.isArray(stashUrls) || stashUrls.some((url) => typeof url !== 'string')))
    failOption(scope, 'stashUrls', 'an array of server URLs', stashUrls);
  if (signal !== undefined && !(signal instanceof AbortSignal)) failOption(scope, 'signal', 'an AbortSignal', signal);
  return {
    url: queueUrl(scope, options.url),
    name: queueName(scope, options.name),
    concurrency: options.concurrency ?? QUEUE_DEFAULTS.concurrency,
    trustCode: options.trustCode ?? QUEUE_DEFAULTS.trustCode,
    lockDuration: options.lockDuration ?? QUEUE_DEFAULTS.lockDuration,
    stalledInterval: options.stalledInterval ?? QUEUE_DEFAULTS.stalledInterval,
    maxStalledCount: options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount,
    stashUrls: stashUrls ?? [],
    signal,
  };
}
