import { checkDriver, type DriverName } from '../drivers.js';
import { ConfigError } from '../errors.js';
import { lazy } from '../lazy.js';
import type { EngineContext, EngineFactory } from './engine.js';
import { memoryEngineOptions } from './memory/options.js';
import { checkMongoOptions } from './mongo/options.js';
import { checkRedisOptions } from './redis/options.js';
import { SQLITE_MAX_STASH_PATH_BYTES, SQLITE_PATH_LIMIT_REASON } from './sqlite/limits.js';

export { SQLITE_MAX_STASH_PATH_BYTES };

export type { EvictionPolicy } from './memory/eviction.js';

/**
 * The engine registry: name → factory, for the built-in engines and those registered with {@link registerEngine}.
 * A built-in engine's module loads when the first stash on it is built (so importing hashstash loads none), and its
 * storage library later still, on first use, with an error that says what to install when it is missing.
 */
const load = {
  lmdb: lazy<typeof import('./lmdb/store.js')>(import.meta.url, './lmdb/store.js'),
  memory: lazy<typeof import('./memory/store.js')>(import.meta.url, './memory/store.js'),
  mongo: lazy<typeof import('./mongo/store.js')>(import.meta.url, './mongo/store.js'),
  pairtree: lazy<typeof import('./pairtree/store.js')>(import.meta.url, './pairtree/store.js'),
  redis: lazy<typeof import('./redis/store.js')>(import.meta.url, './redis/store.js'),
  sqlite: lazy<typeof import('./sqlite/store.js')>(import.meta.url, './sqlite/store.js'),
};

/** A built-in engine: its factory, the library it needs (checked, not loaded, when a stash is built), its own options. */
interface BuiltIn {
  readonly factory: EngineFactory;
  readonly driver?: DriverName;
  /** The longest `stash.path` the engine can use, when shorter than the file system's, and why. */
  readonly maxStashPathBytes?: { readonly bytes: number; readonly why: string };
  /** Checks the options this engine reads (ConfigError), when a stash on it is built. */
  readonly check?: (options: EngineOptionsToCheck) => void;
  /** The environment variable whose URL the engine uses when the `url` option is not given. */
  readonly urlVariable?: string;
  /** Takes `follow: true` (see the option): its reads can see each commit whole, in order, as writers make them. */
  readonly follows?: true;
}

/** The resolved options an engine's `check` sees. */
export interface EngineOptionsToCheck {
  readonly url: string | undefined;
}

/** The built-in engines' names (options.ts's `EngineName` is the same union). */
type BuiltInEngine = 'lmdb' | 'pairtree' | 'sqlite' | 'redis' | 'mongo' | 'memory';

// Typed by hand, not inferred: the declarations of this module must not name the engines' modules.
const builtIns: Readonly<Record<BuiltInEngine, BuiltIn>> = {
  lmdb: { factory: (context: EngineContext) => load.lmdb().createLmdbEngine(context), driver: 'lmdb', follows: true },
  pairtree: { factory: (context: EngineContext) => load.pairtree().createPairtreeEngine(context) },
  sqlite: {
    factory: (context: EngineContext) => load.sqlite().createSqliteEngine(context),
    driver: 'better-sqlite3',
    follows: true,
    maxStashPathBytes: { bytes: SQLITE_MAX_STASH_PATH_BYTES, why: SQLITE_PATH_LIMIT_REASON },
  },
  redis: {
    factory: (context: EngineContext) => load.redis().createRedisEngine(context),
    driver: 'ioredis',
    check: checkRedisOptions,
    urlVariable: 'REDIS_URL',
  },
  mongo: {
    factory: (context: EngineContext) => load.mongo().createMongoEngine(context),
    driver: 'mongodb',
    check: checkMongoOptions,
    urlVariable: 'MONGODB_URL',
  },
  memory: { factory: (context: EngineContext) => load.memory().createMemoryEngine(context) },
};

/** The built-in engines' names, in the registry's order (options.ts's `ENGINE_NAMES` lists the same; a test holds them equal). */
export const BUILT_IN_ENGINES = Object.freeze(Object.keys(builtIns)) as readonly BuiltInEngine[];

/**
 * Options that engines declare: each is checked and resolved from the user's value, or from its default when none is
 * given. The core options file asks the registry for them (`engineOptionDefaults`, `resolveEngineOptions`) and knows
 * nothing of what they mean. Today only the memory engine has options of its own (`maxBytes`, `evict`).
 */
const engineOptions = { ...memoryEngineOptions };

/** Each engine-declared option's default. */
export const engineOptionDefaults = {
  maxBytes: engineOptions.maxBytes.default,
  evict: engineOptions.evict.default,
} as const;

/** Every engine-declared option, resolved: ConfigError naming the option for a value its engine refuses. */
export function resolveEngineOptions(given: { readonly maxBytes?: unknown; readonly evict?: unknown }) {
  return {
    maxBytes: engineOptions.maxBytes.resolve(given.maxBytes ?? engineOptions.maxBytes.default),
    evict: engineOptions.evict.resolve(given.evict ?? engineOptions.evict.default),
  };
}

/** A built-in engine's own limit on `stash.path`, or undefined (a registered engine's or an engine object's: none). */
export function stashPathLimit(name: string): { readonly bytes: number; readonly why: string } | undefined {
  return Object.hasOwn(builtIns, name) ? builtIns[name as BuiltInEngine].maxStashPathBytes : undefined;
}

/** Runs a built-in engine's checks of the options it reads: ConfigError for one it cannot work with. */
/**
 * The URL a built-in server engine uses when the `url` option is not given: `REDIS_URL` or `MONGODB_URL` from the
 * environment (so credentials need not be written in code), else undefined (the engine's local default).
 */
export function urlFromEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const variable = Object.hasOwn(builtIns, name) ? builtIns[name as BuiltInEngine].urlVariable : undefined;
  const value = variable === undefined ? undefined : env[variable];
  return value === undefined || value === '' ? undefined : value;
}

/** The built-in engines that take `follow: true`. */
export function followingEngines(): string[] {
  return BUILT_IN_ENGINES.filter((name) => builtIns[name].follows);
}

export function checkEngineOptions(name: string, options: EngineOptionsToCheck): void {
  if (Object.hasOwn(builtIns, name)) builtIns[name as BuiltInEngine].check?.(options);
}

const registered = new Map<string, EngineFactory>();

/** Names a registered engine may take: they go into `stash.path` as the first part of the settings folder. */
const ENGINE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/**
 * Makes an engine of your own usable by name, as `new HashStash({ engine: name })`. The factory is called once per
 * stash object with its location ({@link EngineContext}): `path` (a folder of its own, not yet created) for a local
 * engine, `namespace` for one that prefixes keys on a server. It should touch no storage until the engine's first
 * call, so that building a stash touches nothing. Test an engine with the conformance suite, `hashstash/test-suite`.
 *
 * Registering the same factory under the same name again does nothing; a built-in engine's name, or a name
 * registered with another factory, is refused: an engine is never replaced behind the back of stashes that use it.
 *
 * @param name - 1 to 64 letters, digits, `_` or `-`, starting with a letter or digit; it is part of `stash.path`.
 * @param factory - Builds the engine for one stash.
 * @throws {@link ConfigError} for a name of a built-in engine, one taken by another factory, a name outside those
 *   characters, or a factory that is not a function.
 *
 * @example
 * ```ts
 * import { HashStash, registerEngine } from 'hashstash';
 * registerEngine('json-file', (context) => new JsonFileEngine(context.path));
 * const stash = new HashStash({ engine: 'json-file' });
 * ```
 */
export function registerEngine(name: string, factory: EngineFactory): void {
  if (typeof name !== 'string' || !ENGINE_NAME.test(name)) {
    throw new ConfigError(
      `registerEngine: an engine's name is 1-64 letters, digits, '_' or '-', starting with a letter or digit; got ${typeof name === 'string' ? `'${name}'` : typeof name}`,
    );
  }
  if (typeof factory !== 'function') {
    throw new ConfigError(
      `registerEngine('${name}', factory): the factory must be a function of an EngineContext returning an Engine, got ${factory === null ? 'null' : typeof factory}`,
    );
  }
  if (Object.hasOwn(builtIns, name)) {
    throw new ConfigError(
      `registerEngine: '${name}' is a built-in engine and cannot be replaced; register yours under another name`,
    );
  }
  const existing = registered.get(name);
  if (existing && existing !== factory) {
    throw new ConfigError(`registerEngine: an engine named '${name}' is already registered with another factory`);
  }
  registered.set(name, factory);
}

/** True for the name of a built-in or registered engine. */
export function isEngineName(name: unknown): name is string {
  return typeof name === 'string' && (Object.hasOwn(builtIns, name) || registered.has(name));
}

/** Every name the `engine` option accepts now: the built-in engines, then the registered ones. */
export function engineNames(): string[] {
  return [...BUILT_IN_ENGINES, ...registered.keys()];
}

/** The factory of a built-in or registered engine; a built-in one first checks that its library is installed. */
/** A memory engine with what a tier needs of it beyond the Engine contract (src/tiers). */
export function memoryTierEngine(context: EngineContext) {
  return load.memory().createMemoryEngine(context);
}

export function engineFactory(name: string): EngineFactory {
  const builtIn: BuiltIn | undefined = Object.hasOwn(builtIns, name)
    ? builtIns[name as keyof typeof builtIns]
    : undefined;
  if (!builtIn) {
    const factory = registered.get(name);
    if (factory) return factory;
    throw new ConfigError(
      `unknown engine '${name}'; expected one of ${engineNames()
        .map((n) => `'${n}'`)
        .join(', ')}, or a name given to registerEngine`,
    );
  }
  const { factory, driver } = builtIn;
  if (!driver) return factory;
  return (context: EngineContext) => {
    checkDriver(driver);
    return factory(context);
  };
}
