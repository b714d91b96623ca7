import type { Engine, RawVersion, SyncStore } from './engines/engine.js';
import { take, WRITE_BATCH } from './engines/local-engine.js';
import { encodeKey } from './keys/encode.js';
import type { StashCore } from './stash-core.js';

/**
 * Append mode for the facade: in a stash opened with `appendMode: true` every write adds a version through the
 * engine's version store (`Engine.append`, or `SyncStore.append` for `stash.sync`), and `getAll` reads them back.
 * The engine keeps the latest version as the key's current value, so `get`, `has`, iteration and `size` need nothing
 * from here. The rules (one version per entry, in order; a record or a value per version) are written once, with a
 * loop for each surface.
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

/** What `getAll` gives for one version. */
function versionOut(core: StashCore, version: RawVersion, withMetadata: boolean | undefined): unknown {
  const value = core.format.unpack(version.value);
  return withMetadata ? { version: version.version, timestamp: version.timestamp, value } : value;
}

/**
 * Every version of `key`, oldest first: empty when it has none (absent, or only written outside append mode). A
 * version written with a ttl is left out once it has expired.
 */
export async function allVersions(
  core: StashCore,
  engine: Engine,
  key: unknown,
  options: GetAllOptions = {},
): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const version of core.versions(engine).versions(encodeKey(key))) {
    if (!core.isExpired(version.value)) all.push(versionOut(core, version, options.withMetadata));
  }
  return all;
}

/** {@link allVersions} for `stash.sync`. */
export function allVersionsSync(
  core: StashCore,
  store: SyncStore,
  key: unknown,
  options: GetAllOptions = {},
): unknown[] {
  const all: unknown[] = [];
  for (const version of core.versions(store).versions(encodeKey(key))) {
    if (!core.isExpired(version.value)) all.push(versionOut(core, version, options.withMetadata));
  }
  return all;
}

/** Adds one version per entry, in order (two entries of one key become two versions). */
export async function appendEntries(
  core: StashCore,
  engine: Engine,
  entries: Iterable<readonly [unknown, unknown]> | AsyncIterable<readonly [unknown, unknown]>,
  ttl?: number,
): Promise<void> {
  const store = core.versions(engine);
  if (engine.sync?.append && Symbol.iterator in entries) return appendEntriesSync(core, engine.sync, entries, ttl);
  for await (const [key, value] of entries) {
    await store.append(encodeKey(key), core.format.pack(value, ttl === undefined ? undefined : core.now() + ttl));
  }
}

/** {@link appendEntries} for `stash.sync` (and for a synchronous source on a local engine): in batches where it can. */
export function appendEntriesSync(
  core: StashCore,
  sync: SyncStore,
  entries: Iterable<readonly [unknown, unknown]>,
  ttl?: number,
): void {
  const store = core.versions(sync);
  const packed = core.packed(entries, false, ttl);
  if (!store.appendMany) {
    for (const [rawKey, blob] of packed) store.append(rawKey, blob);
    return;
  }
  for (let batch = take(packed, WRITE_BATCH); batch.length; batch = take(packed, WRITE_BATCH)) store.appendMany(batch);
}
