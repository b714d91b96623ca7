import { checkDriver, type DriverName } from '../drivers.js';
import { UnsupportedError } from '../errors.js';
import { lazy } from '../lazy.js';
import type { EngineName } from '../options.js';
import type { EngineContext, EngineFactory } from './engine.js';

/**
 * Engine name → factory. An engine's module loads when the first stash on it is built (so importing hashstash loads
 * none), and its storage library later still, on first use, with an error that says what to install when it is missing.
 */
const load = {
  lmdb: lazy<typeof import('./lmdb/store.js')>(import.meta.url, './lmdb/store.js'),
  memory: lazy<typeof import('./memory/store.js')>(import.meta.url, './memory/store.js'),
  mongo: lazy<typeof import('./mongo/store.js')>(import.meta.url, './mongo/store.js'),
  pairtree: lazy<typeof import('./pairtree/store.js')>(import.meta.url, './pairtree/store.js'),
  redis: lazy<typeof import('./redis/store.js')>(import.meta.url, './redis/store.js'),
  sqlite: lazy<typeof import('./sqlite/store.js')>(import.meta.url, './sqlite/store.js'),
};

/** The library each engine needs: checked (not loaded) when a stash is built, so a missing one fails there. */
const drivers: Partial<Record<EngineName, DriverName>> = { lmdb: 'lmdb', sqlite: 'better-sqlite3', redis: 'ioredis', mongo: 'mongodb' };

const factories: Partial<Record<EngineName, EngineFactory>> = {
  lmdb: (context: EngineContext) => load.lmdb().createLmdbEngine(context),
  memory: (context: EngineContext) => load.memory().createMemoryEngine(context),
  mongo: (context: EngineContext) => load.mongo().createMongoEngine(context),
  pairtree: (context: EngineContext) => load.pairtree().createPairtreeEngine(context),
  redis: (context: EngineContext) => load.redis().createRedisEngine(context),
  sqlite: (context: EngineContext) => load.sqlite().createSqliteEngine(context),
};

export function engineFactory(name: EngineName): EngineFactory {
  const factory = factories[name];
  if (!factory) {
    const available = Object.keys(factories).map((n) => `'${n}'`).join(', ');
    throw new UnsupportedError(`engine '${name}' is not available in this version of hashstash yet; available engines: ${available}`);
  }
  const driver = drivers[name];
  if (!driver) return factory;
  return (context: EngineContext) => {
    checkDriver(driver);
    return factory(context);
  };
}

export const availableEngines = (): EngineName[] => Object.keys(factories) as EngineName[];
