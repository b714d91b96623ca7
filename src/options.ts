import {
  customSerializerNamed,
  isCustomSerializer,
  registerCustomSerializer,
  type CustomSerializer,
} from './serializers/custom.js';
import { Buffer } from 'node:buffer';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkOneOf, checkOptionsObject, checkTtl, checkType, shown } from './checks.js';
import { ConfigError } from './errors.js';
import { KEY_ENCODINGS, type KeyEncoding } from './keys/encoding.js';
import type { Engine } from './engines/engine.js';
import type { Ttl } from './ttl.js';
import {
  resolveTiers,
  TIER_DEFAULTS,
  type MemoryTierOptions,
  type ResolvedTier,
  type TierCoherence,
  type TierOptions,
} from './tiers/options.js';
import {
  checkEngineOptions,
  engineNames,
  engineOptionDefaults,
  followingEngines,
  isEngineName,
  resolveEngineOptions,
  stashPathLimit,
  urlFromEnvironment,
  type EvictionPolicy,
} from './engines/index.js';

/**
 * The built-in engines, for the `engine` option: `'lmdb'` (the default), `'pairtree'` (plain files), `'sqlite'`,
 * `'memory'` (shared memory of the process's threads), `'redis'` and `'mongo'` (servers, at `url`).
 */
export type EngineName = 'lmdb' | 'pairtree' | 'sqlite' | 'redis' | 'mongo' | 'memory';
/**
 * The serializers, for the `serializer` option: `'hashstash'` (the default: JSON text that also carries Maps, Sets,
 * Dates, BigInts, typed arrays, cycles, registered classes and functions), `'devalue'`, and `'v8'` (Node's structured
 * clone format).
 */
export type SerializerName = 'hashstash' | 'devalue' | 'v8';
/** The compression codecs, for the `compress` option; `'lz4'` is the default, `'raw'` stores bytes as they are. */
export type CompressName = 'lz4' | 'zlib' | 'gzip' | 'brotli' | 'raw';

/** What a user may pass to `new HashStash(…)`. Every field is optional; defaults live in `DEFAULTS`. */
export interface HashStashOptions {
  /**
   * Where stashes live. A relative root is a folder inside the cache home (it may not climb out of it with '..');
   * an absolute root (or `~/…`) is used as it is.
   */
  root?: string | undefined;
  /** A stash inside the root: one or more folder names joined with `/`. */
  name?: string | undefined;
  /**
   * Where the data is kept: a built-in engine's name, the name of an engine given to {@link registerEngine}, or an
   * {@link Engine} object of your own.
   */
  engine?: EngineName | (string & {}) | Engine | undefined;
  /**
   * How values (and so the blobs on storage) are written: a built-in serializer's name, or a serializer object of your
   * own, `{ name, serialize, deserialize }` (its name is stored with every blob and must match on read). A name that is
   * not built in finds the object a stash of this thread was given under it (so `stash.options` opens it again).
   */
  serializer?: SerializerName | CustomSerializer | (string & {}) | undefined;
  /** `false` means `'raw'`. */
  compress?: CompressName | false | undefined;
  /** base64 on top of the codec, for stores that want text. */
  b64?: boolean | undefined;
  /**
   * How keys are stored: `'canonical'` (default: any value, structurally compared), `'utf8'` (string keys as their
   * UTF-8 bytes) or `'binary'` (Uint8Array keys as they are), so other programs read the keys and key order is byte
   * order. Other keys are a SerializationError. It names the settings folder; sub-stashes (memos, maps, sequences)
   * keep canonical keys.
   */
  keyEncoding?: KeyEncoding | undefined;
  /** Keep every version of a key. */
  appendMode?: boolean | undefined;
  /** Empty the stash when it is first used. */
  clear?: boolean | undefined;
  /** Every write throws ReadOnlyError. */
  readonly?: boolean | undefined;
  /**
   * With `readonly: true`, on lmdb and sqlite: a follower, whose reads see each commit of the processes writing the
   * stash as it lands (while a writer grows lmdb's map or checkpoints sqlite's WAL too), a stash that does not exist
   * yet reading as empty until it is created. One `get` or `getMany` reads one commit, so a batch a writer committed
   * whole (a `setMany` or `update` batch of up to 10,000 entries) is seen whole or not at all; iteration reads a page
   * at a time, each at the newest commit. A ConfigError without `readonly`, on another engine, or with tiers.
   */
  follow?: boolean | undefined;
  /**
   * Server URL for the redis and mongo engines (`redis://`, `rediss://` for TLS, `mongodb://`, `mongodb+srv://`);
   * when not given, `REDIS_URL` or `MONGODB_URL` from the environment, else the server on this machine. It is kept in
   * memory only: `toJSON()`, `stash.options`, `String(stash)`, errors and the files hashstash writes show it with its
   * password as `***`.
   */
  url?: string | undefined;
  /** Revive stored functions as functions. Off: they read back as StoredFunction and nothing is evaluated. */
  trustCode?: boolean | undefined;
  /** The memory engine's byte budget: bytes, or a size like '512mb', '1.5gb' or '25%' (of the machine's memory). */
  maxBytes?: number | string | undefined;
  /** What the memory engine drops when its budget is full; 'none': a write that does not fit throws MemoryBudgetError. */
  evict?: EvictionPolicy | undefined;
  /**
   * Default expiry of every write: ms, or a duration like `'30s'`, `'15m'`, `'1h'`, `'7d'` (see {@link Ttl}). An entry
   * expires that long after it was written, by the writer's clock; a write's own `{ ttl }` overrides it. Unset: entries
   * never expire.
   */
  ttl?: Ttl | undefined;
  /**
   * The clock expiry is stamped and judged by, in ms since the epoch: `Date.now` unless given. For tests, to move time
   * forward without waiting.
   */
  clock?: (() => number) | undefined;
  /**
   * A memory tier in front of the engine: `{ maxBytes: '256mb', evict: 'lfu' }` keeps the hot part of the stash in the
   * process's shared memory (every worker thread shares it). Short for `tiers: [{ engine: 'memory', … }, { engine }]`.
   */
  memory?: MemoryTierOptions | undefined;
  /**
   * A chain of tiers, fastest first, the last being the stash's own storage: reads go down the chain and copy what
   * they find into the memory tier; writes land in the last tier before they resolve; what a bounded tier evicts is
   * offloaded to the next bounded tier. E.g. `[{ engine: 'memory', maxBytes: '256mb' }, { engine: 'lmdb', maxBytes:
   * '20gb' }, { engine: 'redis', url }]`. See {@link TierOptions}.
   */
  tiers?: readonly TierOptions[] | undefined;
  /**
   * With tiers: `'changes'` (the default) drops the upper tiers' copy of a key that any thread or process changes,
   * through the last tier's change feed; `'none'` for data that never changes.
   */
  coherence?: TierCoherence | undefined;
}

/**
 * Options after defaults and validation: what a stash actually runs with (`stash.options`). Each field means what the
 * {@link HashStashOptions} field of its name does.
 */
export interface ResolvedOptions {
  /** The root folder, absolute. */
  readonly root: string;
  /** The stash's name inside the root. */
  readonly name: string;
  /** The engine's name: a built-in {@link EngineName}, or the `name` of an engine object. */
  readonly engine: string;
  /** The serializer's name (a custom serializer's own name). */
  readonly serializer: SerializerName | (string & {});
  /** The codec's name (`compress: false` resolves to `'raw'`). */
  readonly compress: CompressName;
  /** Whether blobs are base64 on top of the codec. */
  readonly b64: boolean;
  /** How keys are stored. */
  readonly keyEncoding: KeyEncoding;
  /** Whether every version of a key is kept. */
  readonly appendMode: boolean;
  /** Whether the stash is emptied when it is first used. */
  readonly clear: boolean;
  /** Whether writes throw ReadOnlyError. */
  readonly readonly: boolean;
  /** Whether this readonly stash follows the commits of its writers (lmdb, sqlite). */
  readonly follow: boolean;
  /** The server URL as given; undefined: the engine's default on this machine. */
  readonly url: string | undefined;
  /** Whether stored functions are revived as functions. */
  readonly trustCode: boolean;
  /** The memory engine's byte budget, in bytes. */
  readonly maxBytes: number;
  /** What the memory engine drops when its budget is full. */
  readonly evict: EvictionPolicy;
  /** The default expiry of every write, in ms; undefined: entries never expire unless a write says so. */
  readonly ttl: number | undefined;
  /** The clock given, or undefined for `Date.now`. */
  readonly clock: (() => number) | undefined;
  /** The tier chain, fastest first, the last being `engine`; undefined for a stash without tiers. */
  readonly tiers: readonly ResolvedTier[] | undefined;
  /** How the upper tiers follow changes to the last one. */
  readonly coherence: TierCoherence;
}

/** The value of each option that is not given (see {@link HashStashOptions} for what each means). */
export const DEFAULTS = {
  /** A folder in the cache home ({@link cacheHome}). */
  root: 'default_stash',
  /** The stash's name inside its root. */
  name: 'main',
  /** lmdb: a local memory-mapped database, safe across threads and processes. */
  engine: 'lmdb',
  /** hashstash's own: JSON text for plain data, tagged JSON for the rest. */
  serializer: 'hashstash',
  /** The codec (values under 256 bytes are stored uncompressed whatever it is). */
  compress: 'lz4',
  /** No base64. */
  b64: false,
  /** Any value as a key. */
  keyEncoding: 'canonical',
  /** One value per key. */
  appendMode: false,
  /** The stash keeps what it holds when opened. */
  clear: false,
  /** Writable. */
  readonly: false,
  /** Not a follower. */
  follow: false,
  /** The engines' own defaults: `redis://127.0.0.1:6379` and `mongodb://127.0.0.1:27017`. */
  url: undefined,
  /** Stored functions read back as StoredFunction, and no stored code is run. */
  trustCode: false,
  /** A quarter of the machine's memory (declared by the memory engine). */
  maxBytes: engineOptionDefaults.maxBytes,
  /** Evict entries not read lately (declared by the memory engine). */
  evict: engineOptionDefaults.evict,
  /** Entries never expire. */
  ttl: undefined,
  /** `Date.now`. */
  clock: undefined,
  /** No memory tier. */
  memory: undefined,
  /** No tiers: the engine alone. */
  tiers: undefined,
  /** Upper tiers follow the last tier's change feed. */
  coherence: TIER_DEFAULTS.coherence,
} as const satisfies Omit<ResolvedOptions, 'engine' | 'maxBytes'> & {
  engine: EngineName;
  maxBytes: string;
  memory: undefined;
};

/** Every {@link EngineName}: the names the `engine` option accepts. */
export const ENGINE_NAMES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];
/** Every {@link SerializerName}: the names the `serializer` option accepts. */
export const SERIALIZER_NAMES: readonly SerializerName[] = ['hashstash', 'devalue', 'v8'];
/** Every {@link CompressName}: the names the `compress` option accepts. */
export const COMPRESS_NAMES: readonly CompressName[] = ['lz4', 'zlib', 'gzip', 'brotli', 'raw'];

const OPTION_NAMES = new Set(Object.keys(DEFAULTS));

/**
 * The folder every relative root lives in: $HASHSTASH_HOME, else $XDG_CACHE_HOME/hashstash, else ~/.cache/hashstash.
 *
 * @param env - The environment to read those variables from.
 * @returns An absolute path (`~` expanded); it may not exist yet.
 */
export function cacheHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HASHSTASH_HOME) return resolve(expandHome(env.HASHSTASH_HOME));
  const xdg = env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return resolve(xdg, 'hashstash');
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * Linux's limits, in bytes of UTF-8: a folder or file name (NAME_MAX), and a whole path (PATH_MAX, 4096 with its
 * terminating NUL) less room for the files an engine keeps below `stash.path`. The deepest is pairtree's, about 170
 * bytes down: `ab/cd/<60 hex>/versions/<temp file>`, inside a sibling folder `<path>.deleting-…` while it clears.
 */
export const MAX_FOLDER_NAME_BYTES = 255;
export const MAX_STASH_PATH_BYTES = 4095 - 256;
/** Declared by the sqlite engine (engines/sqlite/limits.ts). */
export { SQLITE_MAX_STASH_PATH_BYTES } from './engines/index.js';

/** An absolute root folder from the `root` option; ConfigError for a NUL byte, or a relative root outside the cache home. */
export function resolveRoot(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (root.includes('\0'))
    throw new ConfigError(
      `option 'root' must not hold a NUL byte (at character ${root.indexOf('\0')}), got ${shown(root)}`,
    );
  const expanded = expandHome(root);
  if (isAbsolute(expanded)) return resolve(expanded);
  const home = cacheHome(env);
  const resolved = resolve(home, expanded);
  // Also the cache home itself is refused: its folders are other roots, and `tmp/` there would be the root 'tmp'.
  const inside = relative(home, resolved);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new ConfigError(
      `option 'root' ${shown(root)} is relative, so it names a folder inside the cache home ${home}, but it resolves to ${resolved}; ` +
        `pass an absolute path to put a root elsewhere`,
    );
  }
  return resolved;
}

function isEngineObject(value: unknown): value is Engine {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Engine).get === 'function' &&
    typeof (value as Engine).name === 'string' &&
    typeof (value as Engine).capabilities === 'object'
  );
}

/** A serializer's name: a built-in one, a serializer object's (registered for this thread), or one registered before. */
function resolveSerializer(given: unknown): string {
  if (isCustomSerializer(given)) return registerCustomSerializer(given, SERIALIZER_NAMES).name;
  if (typeof given !== 'string' || (SERIALIZER_NAMES as readonly string[]).includes(given))
    return checkOneOf('serializer', given, SERIALIZER_NAMES);
  if (customSerializerNamed(given)) return given;
  throw new ConfigError(
    `unknown serializer '${given}'; the built-in ones are ${SERIALIZER_NAMES.map((name) => `'${name}'`).join(', ')}, ` +
      `and a serializer of your own is given as an object, { name: '${given}', serialize, deserialize } (its name alone ` +
      `finds it only once a stash of this thread was given it)`,
  );
}

/** Applies defaults and validates: an unknown option, engine, serializer or codec throws ConfigError naming it. */
export function resolveOptions(
  options: HashStashOptions = {},
): ResolvedOptions & { engineObject: Engine | undefined; rootAsGiven: string } {
  checkOptionsObject('', options, OPTION_NAMES, 'HashStash options');
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as HashStashOptions;
  const merged = { ...DEFAULTS, ...given };

  checkType('', 'root', merged.root, 'string');
  checkType('', 'name', merged.name, 'string');
  if (merged.root === '') throw new ConfigError(`option 'root' must not be empty`);
  const root = resolveRoot(merged.root);
  validateName(merged.name);
  for (const flag of ['b64', 'appendMode', 'clear', 'readonly', 'follow', 'trustCode'] as const) {
    checkType('', flag, merged[flag], 'boolean');
  }
  if (merged.url !== undefined) checkType('', 'url', merged.url, 'string');
  const ttl = checkTtl('', 'ttl', merged.ttl);
  checkType('', 'clock', merged.clock, 'function');
  if (merged.readonly && merged.clear) {
    throw new ConfigError(
      `options 'readonly' and 'clear' cannot both be true: clear empties the stash on first use, a write that readonly refuses`,
    );
  }
  if (merged.follow && !merged.readonly) {
    throw new ConfigError(
      `option 'follow' needs 'readonly: true': a follower only reads what other processes write (a writable lmdb or sqlite stash already reads their newest commits)`,
    );
  }

  const coherence = checkOneOf('coherence', merged.coherence, ['changes', 'none'] as const);
  const chain = resolveTiers({
    memory: merged.memory,
    tiers: merged.tiers,
    engine: merged.engine,
    engineGiven: given.engine !== undefined,
    readonly: merged.readonly,
    coherence,
  });
  if (chain) {
    if (isEngineObject(merged.engine))
      throw new ConfigError(`tiers are built from engine names; an engine object cannot be a tier`);
    merged.engine = chain.engine;
    if (chain.url !== undefined) merged.url = chain.url;
  }

  let engine: string;
  let engineObject: Engine | undefined;
  if (isEngineObject(merged.engine)) {
    engineObject = merged.engine;
    engine = merged.engine.name;
  } else {
    if (!isEngineName(merged.engine)) checkOneOf('engine', merged.engine, engineNames());
    engine = merged.engine;
  }
  if (merged.follow) checkFollows(engine, engineObject !== undefined, chain !== undefined);
  const serializer = resolveSerializer(merged.serializer);
  const compress = merged.compress === false ? 'raw' : checkOneOf('compress', merged.compress, COMPRESS_NAMES);
  const { maxBytes, evict } = resolveEngineOptions(merged);
  const engineLimit = engineObject ? undefined : stashPathLimit(engine);
  const keyEncoding = checkOneOf('keyEncoding', merged.keyEncoding, KEY_ENCODINGS);
  const settings = { engine, serializer, compress, b64: merged.b64, keyEncoding };
  checkLengths(root, merged.name, settingsFolder(settings), engineLimit);
  const url = merged.url ?? (engineObject ? undefined : urlFromEnvironment(engine));
  if (!engineObject) checkEngineOptions(engine, { url });

  return {
    root,
    rootAsGiven: merged.root,
    name: merged.name,
    engine,
    engineObject,
    serializer,
    compress,
    b64: merged.b64,
    keyEncoding,
    appendMode: merged.appendMode,
    clear: merged.clear,
    readonly: merged.readonly,
    follow: merged.follow,
    url,
    trustCode: merged.trustCode,
    maxBytes,
    evict,
    ttl,
    clock: merged.clock,
    tiers: chain?.tiers,
    coherence,
  };
}

/**
 * `follow: true` is for the engines whose reads can see each commit whole as it lands: lmdb and sqlite. The others
 * read other writers' changes on every call already, but a batch may be seen in part (pairtree and mongo write its
 * entries one by one), and the memory engine is not shared with other processes at all. A tier in front would serve
 * what it copied earlier.
 */
function checkFollows(engine: string, isObject: boolean, tiered: boolean): void {
  const engines = followingEngines();
  const expected = engines.map((name) => `'${name}'`).join(' and ');
  if (tiered)
    throw new ConfigError(
      `option 'follow' cannot be used with tiers or a memory tier: an upper tier would serve values it copied before the writer changed them; follow the ${expected} stash itself`,
    );
  if (isObject || !engines.includes(engine))
    throw new ConfigError(
      `option 'follow' works on the ${expected} engines only, not on ${isObject ? `the engine object '${engine}'` : `'${engine}'`}: ` +
        `other engines read other writers' changes on every call anyway, but cannot promise a batch is seen whole`,
    );
}

/** A stash name is one or more folder names below the root; it may not climb out of it. */
function validateName(name: string): void {
  if (name.includes('\0'))
    throw new ConfigError(
      `option 'name' must not hold a NUL byte (at character ${name.indexOf('\0')}), got ${shown(name)}`,
    );
  const parts = name.split('/');
  if (name === '' || parts.some((part) => part === '' || part === '.' || part === '..' || part.includes('\\'))) {
    throw new ConfigError(
      `option 'name' must be a relative folder name inside the root (no '.', '..', empty parts or backslashes), got ${shown(name)}`,
    );
  }
}

/**
 * Checked here so that a name the file system cannot hold is a ConfigError now, not an ENAMETOOLONG at first use.
 * The file system's limits hold on every engine, also those that keep no files there (servers, memory), so a name
 * works on all of them; only sqlite asks for a shorter path.
 */
function checkLengths(
  root: string,
  name: string,
  settings: string,
  engineLimit: { bytes: number; why: string } | undefined,
): void {
  const maxPathBytes = engineLimit?.bytes ?? MAX_STASH_PATH_BYTES;
  for (const [option, folders] of [
    ['root', root.split(sep)],
    ['name', name.split('/')],
  ] as const) {
    const long = folders.find((folder) => Buffer.byteLength(folder) > MAX_FOLDER_NAME_BYTES);
    if (long !== undefined) {
      throw new ConfigError(
        `option '${option}' holds a folder name of ${Buffer.byteLength(long)} bytes, over the file system's limit of ${MAX_FOLDER_NAME_BYTES}: ${shown(long)}`,
      );
    }
  }
  const path = join(root, name, settings);
  const bytes = Buffer.byteLength(path);
  if (bytes > maxPathBytes) {
    const why = engineLimit?.why ?? `the file system's 4096, less room for the engine's own files`;
    throw new ConfigError(
      `options 'root' and 'name' make a stash path of ${bytes} bytes, over the limit of ${maxPathBytes} (${why}): ${shown(path)}`,
    );
  }
}

/**
 * `<engine>.<serializer>.<compress>[+b64][.<keyEncoding>]` (the key encoding when it is not canonical): stashes with
 * other settings never read each other's data, so a stash never meets keys stored in another encoding.
 */
export function settingsFolder(
  options: Pick<ResolvedOptions, 'engine' | 'serializer' | 'compress' | 'b64'> & {
    readonly keyEncoding?: KeyEncoding | undefined;
  },
): string {
  const keys =
    options.keyEncoding === undefined || options.keyEncoding === 'canonical' ? '' : `.${options.keyEncoding}`;
  return `${options.engine}.${options.serializer}.${options.compress}${options.b64 ? '+b64' : ''}${keys}`;
}
