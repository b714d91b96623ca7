import { UnsupportedError } from '../errors.js';
import type { EngineName } from '../options.js';
import type { EngineFactory } from './engine.js';
import { createLmdbEngine } from './lmdb.js';
import { createMemoryEngine } from './memory.js';
import { createMongoEngine } from './mongo.js';
import { createPairtreeEngine } from './pairtree.js';
import { createRedisEngine } from './redis.js';
import { createSqliteEngine } from './sqlite.js';

/**
 * Engine name → factory. Engine files are ours and cheap to import; each one loads its storage library
 * lazily on first use, with an error that says what to install when the library is missing.
 */
const factories: Partial<Record<EngineName, EngineFactory>> = {
  lmdb: createLmdbEngine,
  memory: createMemoryEngine,
  mongo: createMongoEngine,
  pairtree: createPairtreeEngine,
  redis: createRedisEngine,
  sqlite: createSqliteEngine,
};

export function engineFactory(name: EngineName): EngineFactory {
  const factory = factories[name];
  if (!factory) {
    const available = Object.keys(factories).map((n) => `'${n}'`).join(', ');
    throw new UnsupportedError(`engine '${name}' is not available in this version of hashstash yet; available engines: ${available}`);
  }
  return factory;
}

export const availableEngines = (): EngineName[] => Object.keys(factories) as EngineName[];
