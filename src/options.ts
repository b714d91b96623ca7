import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { Engine } from './engines/engine.js';
import { EVICTION_POLICIES, type EvictionPolicy } from './engines/shared-memory/eviction.js';
import { parseByteSize } from './engines/shared-memory/size.js';

export type EngineName = 'lmdb' | 'pairtree' | 'sqlite' | 'redis' | 'mongo' | 'memory';
export type SerializerName = 'hashstash' | 'devalue' | 'v8';
export type CompressName = 'lz4' | 'zlib' | 'gzip' | 'brotli' | 'raw';

/** What a user may pass to `new HashStash(…)`. Every field is optional; defaults live in `DEFAULTS`. */
export interface HashStashOptions {
  /** Where stashes live. Relative roots go under `<cache home>/hashstash/`; absolute roots are used as they are. */
  root?: string;
  /** A stash inside the root. */
  name?: string;
  engine?: EngineName | Engine;
  serializer?: SerializerName;
  /** `false` means `'raw'`. */
  compress?: CompressName | false;
  /** base64 on top of the codec, for stores that want text. */
  b64?: boolean;
  /** Keep every version of a key. */
  appendMode?: boolean;
  /** Empty the stash when it is first used. */
  clear?: boolean;
  /** Every write throws ReadOnlyError. */
  readonly?: boolean;
  /** Server URL for the redis and mongo engines. */
  url?: string;
  /** Revive stored functions as functions. Off: they read back as StoredFunction and nothing is evaluated. */
  trustCode?: boolean;
  /** The memory engine's byte budget: bytes, or a size like '512mb', '1.5gb' or '25%' (of the machine's memory). */
  maxBytes?: number | string;
  /** What the memory engine drops when its budget is full; 'none': a write that does not fit throws MemoryBudgetError. */
  evict?: EvictionPolicy;
}

/** Options after defaults and validation: what a stash actually runs with. */
export interface ResolvedOptions {
  readonly root: string;
  readonly name: string;
  readonly engine: string;
  readonly serializer: SerializerName;
  readonly compress: CompressName;
  readonly b64: boolean;
  readonly appendMode: boolean;
  readonly clear: boolean;
  readonly readonly: boolean;
  readonly url: string | undefined;
  readonly trustCode: boolean;
  /** In bytes. */
  readonly maxBytes: number;
  readonly evict: EvictionPolicy;
}

export const DEFAULTS = {
  root: 'default_stash',
  name: 'main',
  engine: 'lmdb',
  serializer: 'hashstash',
  compress: 'lz4',
  b64: false,
  appendMode: false,
  clear: false,
  readonly: false,
  url: undefined,
  trustCode: false,
  maxBytes: '25%',
  evict: 'lru',
} as const satisfies Omit<ResolvedOptions, 'engine' | 'maxBytes'> & { engine: EngineName; maxBytes: string };

export const ENGINE_NAMES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];
export const SERIALIZER_NAMES: readonly SerializerName[] = ['hashstash', 'devalue', 'v8'];
export const COMPRESS_NAMES: readonly CompressName[] = ['lz4', 'zlib', 'gzip', 'brotli', 'raw'];

const OPTION_NAMES = new Set(Object.keys(DEFAULTS));

/** The folder every relative root lives in: $HASHSTASH_HOME, else $XDG_CACHE_HOME/hashstash, else ~/.cache/hashstash. */
export function cacheHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HASHSTASH_HOME) return resolve(expandHome(env.HASHSTASH_HOME));
  const xdg = env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return resolve(xdg, 'hashstash');
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** An absolute root folder from the `root` option. */
export function resolveRoot(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const expanded = expandHome(root);
  return isAbsolute(expanded) ? resolve(expanded) : resolve(cacheHome(env), expanded);
}

function expectType(name: string, value: unknown, type: 'string' | 'boolean'): void {
  if (typeof value !== type) {
    throw new ConfigError(`option '${name}' must be a ${type}, got ${describe(value)}`);
  }
}

function expectOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`unknown ${name} ${describe(value)}; expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.prototype.toString.call(value);
  return `${typeof value} ${String(value)}`;
}

function isEngineObject(value: unknown): value is Engine {
  return typeof value === 'object' && value !== null && typeof (value as Engine).get === 'function' &&
    typeof (value as Engine).name === 'string' && typeof (value as Engine).capabilities === 'object';
}

/** Applies defaults and validates: an unknown option, engine, serializer or codec throws ConfigError naming it. */
export function resolveOptions(options: HashStashOptions = {}): ResolvedOptions & { engineObject: Engine | undefined; rootAsGiven: string } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`HashStash options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new ConfigError(`unknown option '${key}'; valid options are ${[...OPTION_NAMES].join(', ')}`);
    }
  }
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as HashStashOptions;
  const merged = { ...DEFAULTS, ...given };

  expectType('root', merged.root, 'string');
  expectType('name', merged.name, 'string');
  if (merged.root === '') throw new ConfigError(`option 'root' must not be empty`);
  validateName(merged.name);
  for (const flag of ['b64', 'appendMode', 'clear', 'readonly', 'trustCode'] as const) {
    expectType(flag, merged[flag], 'boolean');
  }
  if (merged.url !== undefined) expectType('url', merged.url, 'string');

  let engine: string;
  let engineObject: Engine | undefined;
  if (isEngineObject(merged.engine)) {
    engineObject = merged.engine;
    engine = merged.engine.name;
  } else {
    engine = expectOneOf('engine', merged.engine, ENGINE_NAMES);
  }
  const serializer = expectOneOf('serializer', merged.serializer, SERIALIZER_NAMES);
  const compress = merged.compress === false ? 'raw' : expectOneOf('compress', merged.compress, COMPRESS_NAMES);
  const maxBytes = parseByteSize(merged.maxBytes, 'maxBytes');
  const evict = expectOneOf('evict', merged.evict, EVICTION_POLICIES);

  return {
    root: resolveRoot(merged.root),
    rootAsGiven: merged.root,
    name: merged.name,
    engine,
    engineObject,
    serializer,
    compress,
    b64: merged.b64,
    appendMode: merged.appendMode,
    clear: merged.clear,
    readonly: merged.readonly,
    url: merged.url,
    trustCode: merged.trustCode,
    maxBytes,
    evict,
  };
}

/** A stash name is one or more folder names below the root; it may not climb out of it. */
function validateName(name: string): void {
  const parts = name.split('/');
  if (name === '' || parts.some((part) => part === '' || part === '.' || part === '..' || part.includes('\\') || part.includes('\0'))) {
    throw new ConfigError(`option 'name' must be a relative folder name inside the root (no '.', '..', empty parts or backslashes), got '${name}'`);
  }
}

/** `<engine>.<serializer>.<compress>[+b64]`: stashes with other settings never read each other's data. */
export function settingsFolder(options: Pick<ResolvedOptions, 'engine' | 'serializer' | 'compress' | 'b64'>): string {
  return `${options.engine}.${options.serializer}.${options.compress}${options.b64 ? '+b64' : ''}`;
}
