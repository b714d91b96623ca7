// Type tests: an engine of your own (Engine, registerEngine, the engine option) and the options of the conformance
// suites in `hashstash/test-suite`. Compiled, never run: see README.md here.
import { test as nodeTest } from 'node:test';
import { expectTypeOf } from 'expect-type';
import {
  HashStash,
  registerEngine,
  type Engine,
  type EngineCapabilities,
  type EngineContext,
  type EngineFactory,
  type RawEntry,
  type SyncStore,
} from 'hashstash';
import {
  engineConformance,
  stashConformance,
  engineWatchConformance,
  type EngineConformanceOptions,
  type StashConformanceOptions,
  type EngineSuiteOptions,
  type EngineWatchConformanceOptions,
  type TestFunction,
} from 'hashstash/test-suite';

// ---- a minimal engine, as a user writes it ----
class MapEngine implements Engine {
  readonly name = 'map';
  readonly capabilities: EngineCapabilities = {
    persistent: false,
    sync: false,
    sharedAcrossProcesses: false,
    sharedAcrossThreads: false,
    nativeAppend: false,
  };
  readonly sync = undefined;
  readonly #entries = new Map<string, RawEntry>();
  constructor(readonly context: EngineContext) {}
  async get(key: Uint8Array) {
    return this.#entries.get(String(key))?.[1];
  }
  async set(key: Uint8Array, value: Uint8Array) {
    this.#entries.set(String(key), [key, value]);
  }
  async has(key: Uint8Array) {
    return this.#entries.has(String(key));
  }
  async delete(key: Uint8Array) {
    return this.#entries.delete(String(key));
  }
  async size() {
    return this.#entries.size;
  }
  async clear() {
    this.#entries.clear();
  }
  async *keys() {
    for (const [key] of this.#entries.values()) yield key;
  }
  async *entries() {
    yield* this.#entries.values();
  }
  async getMany(keys: readonly Uint8Array[]) {
    return keys.map((key) => this.#entries.get(String(key))?.[1]);
  }
  async setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>) {
    for await (const [k, v] of entries) await this.set(k, v);
  }
  async close() {}
  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

const factory = (context: EngineContext) => new MapEngine(context);
expectTypeOf(factory).toExtend<EngineFactory>();
expectTypeOf<EngineFactory>().toEqualTypeOf<(context: EngineContext) => Engine>();
registerEngine('map', factory);
new HashStash({ engine: 'map' });
const at = (path: string): EngineContext => ({ path, namespace: path, readonly: false, url: undefined, now: Date.now });
new HashStash({ engine: new MapEngine(at('/tmp/x')) });
expectTypeOf(registerEngine).returns.toBeVoid();

// @ts-expect-error a factory returns an Engine
registerEngine('half', () => ({ name: 'half' }));
// @ts-expect-error a factory takes an EngineContext, not a path
registerEngine('path', (path: string) => new MapEngine(at(path)));
// @ts-expect-error the name comes first
registerEngine(factory, 'map');

// An engine missing a method does not implement Engine.
class Incomplete {
  readonly name = 'incomplete';
  readonly capabilities = new MapEngine({} as EngineContext).capabilities;
  readonly sync = undefined;
  async get(_key: Uint8Array) {
    return undefined;
  }
}
expectTypeOf<Incomplete>().not.toExtend<Engine>();
// @ts-expect-error an incomplete engine object is not an engine option
new HashStash({ engine: new Incomplete() });
// @ts-expect-error capabilities are booleans
const _badCapabilities: EngineCapabilities = { ...new MapEngine(at('/tmp/x')).capabilities, persistent: 'yes' };
// @ts-expect-error every capability flag but hidesExpired is required
const _missingCapability: EngineCapabilities = { persistent: true, sync: false };

// The context an engine gets: resolved, read-only.
declare const context: EngineContext;
expectTypeOf(context.path).toBeString();
expectTypeOf(context.url).toEqualTypeOf<string | undefined>();
expectTypeOf(context.now).toEqualTypeOf<() => number>();
// @ts-expect-error the context is read-only
context.path = '/elsewhere';
declare const syncStore: SyncStore;
expectTypeOf(syncStore.get(new Uint8Array())).toEqualTypeOf<Uint8Array | undefined>();
expectTypeOf(syncStore.entries()).toEqualTypeOf<Iterable<RawEntry>>();

// ---- hashstash/test-suite: the options of each suite ----
expectTypeOf<TestFunction>().toEqualTypeOf<(name: string, body: () => Promise<void>) => unknown>();
expectTypeOf(nodeTest).toExtend<TestFunction>();
engineConformance({ test: nodeTest, factory });
engineConformance({
  test: nodeTest,
  factory,
  name: 'map',
  context: { url: 'redis://127.0.0.1:6379' },
  manyEntries: 100,
});
engineWatchConformance({ test: nodeTest, factory });
stashConformance({ test: nodeTest, engine: 'map', persistent: false, sync: false, onDisk: false });
stashConformance({
  test: nodeTest,
  engine: 'map',
  name: 'map',
  persistent: false,
  sync: false,
  onDisk: false,
  bigCount: 1000,
  heapGrowthLimit: 1e7,
  options: async (root) => ({ root, compress: 'raw' }),
  cleanup: (root) => root,
});
expectTypeOf<EngineConformanceOptions>().toExtend<EngineSuiteOptions>();
expectTypeOf<EngineWatchConformanceOptions>().toExtend<EngineSuiteOptions>();
expectTypeOf<EngineSuiteOptions['context']>().toEqualTypeOf<Partial<EngineContext> | undefined>();
expectTypeOf<StashConformanceOptions['engine']>().toBeString();

// @ts-expect-error engineConformance needs the factory
engineConformance({ test: nodeTest });
// @ts-expect-error and a test function
engineConformance({ factory });
// @ts-expect-error the factory returns an Engine
engineConformance({ test: nodeTest, factory: () => ({}) });
// @ts-expect-error a misspelled option
engineConformance({ test: nodeTest, factory, manyEntry: 10 });
// @ts-expect-error manyEntries is a number
engineConformance({ test: nodeTest, factory, manyEntries: '10' });
// @ts-expect-error a context field of the wrong type
engineConformance({ test: nodeTest, factory, context: { readonly: 'no' } });
// @ts-expect-error stashConformance takes the engine's name, not its factory
stashConformance({ test: nodeTest, factory, persistent: false, sync: false, onDisk: false });
// @ts-expect-error persistent, sync and onDisk say what the engine promises: required
stashConformance({ test: nodeTest, engine: 'map' });
const suite = { test: nodeTest, engine: 'map', persistent: false, sync: false, onDisk: false } as const;
stashConformance(suite);
// @ts-expect-error the options callback returns stash options
stashConformance({ ...suite, options: () => ({ compress: 9 }) });
// @ts-expect-error a misspelled option
stashConformance({ ...suite, bigcount: 10 });
// @ts-expect-error the test function takes a name and a body
engineConformance({ test: (body: () => Promise<void>) => body(), factory });
