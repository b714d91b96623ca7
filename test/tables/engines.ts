/**
 * The engines the records, tables and temporary-stash tests run on: the local ones always, redis and mongo when
 * the test-server runner gave their URLs (`node dist/scripts/test-servers/run-with-servers.js npx tap <file>`).
 */
import type { Test } from 'tap';
import type { EngineName, HashStashOptions } from '../../src/index.js';
import { serverSkip, serverUrl, type ServerKind } from '../helpers/servers.js';

export interface EngineCase {
  readonly engine: EngineName;
  readonly server?: ServerKind;
  /** Files under the stash's path (pairtree, lmdb, sqlite). */
  readonly onDisk: boolean;
}

export const ENGINE_CASES: readonly EngineCase[] = [
  { engine: 'memory', onDisk: false },
  { engine: 'pairtree', onDisk: true },
  { engine: 'lmdb', onDisk: true },
  { engine: 'sqlite', onDisk: true },
  { engine: 'redis', server: 'redis', onDisk: false },
  { engine: 'mongo', server: 'mongo', onDisk: false },
];

/** Options for a stash of this engine in a fresh root of the test's own (server engines namespace by it). */
export function engineOptions(t: Test, { engine, server }: EngineCase): HashStashOptions {
  return { root: t.testdir(), engine, ...(server ? { url: serverUrl(server) } : {}) };
}

/** Runs `body` as a subtest per engine; a server engine without its server skips and says why. */
export function eachEngine(t: Test, name: string, body: (t: Test, engine: EngineCase) => Promise<void>): void {
  for (const engine of ENGINE_CASES) {
    t.test(`${name} (${engine.engine})`, { skip: engine.server ? serverSkip(engine.server) : false }, (t) =>
      body(t, engine),
    );
  }
}
