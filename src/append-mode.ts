import type { AppendStore, Engine, RawEntry, RawVersion, SyncAppendStore } from './engines/engine.js';
import { take, WRITE_BATCH } from './engines/local-engine.js';
import { UnsupportedError } from './errors.js';
import type { BlobFormat } from './format/blob.js';
import { encodeKey } from './keys/encode.js';

/**
 * Append mode for the facade: in a stash opened with `appendMode: true` every write adds a version through the
 * engine's version store (`Engine.append`, or `SyncStore.append` for `stash.sync`), and `getAll` reads them back.
 * The engine keeps the latest version as the key's current value, so `get`, `has`, iteration and `size` need nothing
 * from here.
 */

/** One version of a key, as `getAll(key, { withMetadata: true })` gives it. */
export interface VersionRecord<V = unknown> {
  /** Counts from 1, oldest first. */
  readonly version: number;
  /**
   * When the version was added, in milliseconds since the epoch: the writer's clock when the version took its number,
   * raised to the previous version's timestamp when that is later, so timestamps never go down as versions go up.
   */
  readonly timestamp: number;
  /** The value of this version. */
  readonly value: V;
}

/** The options of `getAll`. */
export interface GetAllOptions {
  /** Each value as `{ version, timestamp, value }` instead of the value alone. */
  readonly withMetadata?: boolean | undefined;
}

function unsupported(engine: Engine): UnsupportedError {
  return new UnsupportedError(
    `appendMode needs an engine that keeps versions; the '${engine.name}' engine does not (engines that do: lmdb, sqlite, pairtree, memory, redis, mongo)`);
}

/** The engine's version store; UnsupportedError naming the engine when it has none. */
export function appendStoreOf(engine: Engine): AppendStore {
  if (!engine.append) throw unsupported(engine);
  return engine.append;
}

/** The synchronous version store, for `stash.sync`. */
export function syncAppendStoreOf(engine: Engine): SyncAppendStore {
  const store = engine.sync?.append;
  if (!store || !engine.append) throw unsupported(engine);
  return store;
}

/** Adds one version under an encoded key; resolves when it is stored. */
export function appendValue(engine: Engine, format: BlobFormat, rawKey: Uint8Array, value: unknown): Promise<void> {
  return appendStoreOf(engine).append(rawKey, format.pack(value)).then(() => undefined);
}

/** Adds one version per entry, in order (two entries of one key become two versions). */
export async function appendEntries(
  engine: Engine, format: BlobFormat, entries: Iterable<readonly [unknown, unknown]> | AsyncIterable<readonly [unknown, unknown]>,
): Promise<void> {
  const store = appendStoreOf(engine);
  const sync = engine.sync?.append;
  if (sync && Symbol.iterator in entries) {
    appendEntriesSync(sync, format, entries);
    return;
  }
  for await (const [key, value] of entries) await store.append(encodeKey(key), format.pack(value));
}

export function appendEntriesSync(store: SyncAppendStore, format: BlobFormat, entries: Iterable<readonly [unknown, unknown]>): void {
  if (!store.appendMany) {
    for (const [key, value] of entries) store.append(encodeKey(key), format.pack(value));
    return;
  }
  const encoded = (function* () {
    for (const [key, value] of entries) yield [encodeKey(key), format.pack(value)] as RawEntry;
  })();
  for (let batch = take(encoded, WRITE_BATCH); batch.length; batch = take(encoded, WRITE_BATCH)) store.appendMany(batch);
}

const toRecord = <V>(format: BlobFormat, version: RawVersion): VersionRecord<V> =>
  ({ version: version.version, timestamp: version.timestamp, value: format.unpack(version.value) as V });

/** Every version of `key`, oldest first: empty when it has none (absent, or only written outside append mode). */
export async function allVersions<V>(
  engine: Engine, format: BlobFormat, key: unknown, options: GetAllOptions = {},
): Promise<V[] | VersionRecord<V>[]> {
  const versions = appendStoreOf(engine).versions(encodeKey(key));
  const all: (V | VersionRecord<V>)[] = [];
  for await (const version of versions) {
    all.push(options.withMetadata ? toRecord<V>(format, version) : (format.unpack(version.value) as V));
  }
  return all as V[] | VersionRecord<V>[];
}

export function allVersionsSync<V>(
  store: SyncAppendStore, format: BlobFormat, key: unknown, options: GetAllOptions = {},
): V[] | VersionRecord<V>[] {
  const all: (V | VersionRecord<V>)[] = [];
  for (const version of store.versions(encodeKey(key))) {
    all.push(options.withMetadata ? toRecord<V>(format, version) : (format.unpack(version.value) as V));
  }
  return all as V[] | VersionRecord<V>[];
}
