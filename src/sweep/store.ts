import type { Engine } from '../engines/engine.js';
import { DecodeError, UnsupportedError } from '../errors.js';
import { encodeKey } from '../keys/encode.js';
import type { Serializer } from '../serializers/serializer.js';
import { ChunkView, mergeChunk } from './chunk-format.js';
import type { ChunkGroup } from './grid.js';
import { SWEEP_DEFAULTS } from './options.js';

/**
 * What a stored sweep is: its identity (params, axis names, chunk sizes) and its axes' values in stored order. Values
 * are only ever appended, so a point's chunk and slot never change.
 */
export interface SweepManifest {
  readonly format: 1;
  readonly params: unknown;
  /** Axis name → points per chunk along it. */
  readonly chunk: Readonly<Record<string, number>>;
  /** Axis name → its values, in stored order. */
  readonly axes: Readonly<Record<string, readonly unknown[]>>;
}

/** The first bytes of every manifest key: `["sweep",` (keys are canonical JSON text). */
const MANIFEST_PREFIX = Buffer.from('["sweep",');

/**
 * A sweep's records in the sweeps' sub-stash, at the engine level (raw keys, raw values):
 * - `['sweep', id]`: its {@link SweepManifest}, in the stash's serializer, changed only by compare-and-set;
 * - `['chunk', id, ...bin]`: a chunk (chunk-format.ts), changed only by compare-and-set merges, so points computed by
 *   two processes at once are both kept.
 */
export class SweepStore {
  readonly #engine: Engine;
  readonly #serializer: Serializer;
  readonly #trustCode: boolean;

  constructor(engine: Engine, serializer: Serializer, trustCode: boolean) {
    this.#engine = engine;
    this.#serializer = serializer;
    this.#trustCode = trustCode;
  }

  #compareAndSet(): NonNullable<Engine['compareAndSet']> {
    const engine = this.#engine;
    if (typeof engine.compareAndSet !== 'function')
      throw new UnsupportedError(`the ${engine.name} engine has no compareAndSet, which sweeps need to merge chunks`);
    return engine.compareAndSet.bind(engine);
  }

  #decodeManifest(bytes: Uint8Array, id: string): SweepManifest {
    let manifest: SweepManifest;
    try {
      manifest = this.#serializer.deserialize(bytes, { trustCode: this.#trustCode }) as SweepManifest;
    } catch (error) {
      throw new DecodeError(`the manifest of sweep ${id} is damaged: ${(error as Error).message}`, { cause: error });
    }
    if (manifest?.format !== 1) throw new DecodeError(`the manifest of sweep ${id} is not one this hashstash reads`);
    return manifest;
  }

  async manifest(id: string): Promise<SweepManifest | undefined> {
    const bytes = await this.#engine.get(encodeKey(['sweep', id]));
    return bytes === undefined ? undefined : this.#decodeManifest(bytes, id);
  }

  /**
   * Applies `change` to the stored manifest by compare-and-set, again from the newer one when another writer got in
   * first; `change` gets undefined when there is none and returns the manifest to store, or undefined to leave it.
   */
  async updateManifest(
    id: string,
    change: (manifest: SweepManifest | undefined) => SweepManifest | undefined,
  ): Promise<SweepManifest | undefined> {
    const compareAndSet = this.#compareAndSet();
    const key = encodeKey(['sweep', id]);
    for (;;) {
      const before = await this.#engine.get(key);
      const current = before === undefined ? undefined : this.#decodeManifest(before, id);
      const next = change(current);
      if (next === undefined) return current;
      if (await compareAndSet(key, before, this.#serializer.serialize(next))) return next;
    }
  }

  /** Every stored sweep: id and manifest. */
  async *manifests(): AsyncIterable<{ id: string; manifest: SweepManifest }> {
    for await (const key of this.#engine.keys()) {
      if (
        key.length <= MANIFEST_PREFIX.length ||
        Buffer.compare(key.subarray(0, MANIFEST_PREFIX.length), MANIFEST_PREFIX)
      )
        continue;
      const id = (JSON.parse(Buffer.from(key).toString('utf8')) as unknown[])[1] as string;
      const manifest = await this.manifest(id);
      if (manifest) yield { id, manifest };
    }
  }

  chunkKey(id: string, bin: readonly number[]): Uint8Array {
    return encodeKey(['chunk', id, ...bin]);
  }

  chunkName(id: string, bin: readonly number[]): string {
    return `chunk [${bin.join(', ')}] of sweep ${id}`;
  }

  /**
   * Reads the groups' chunks, calling `visit` with each (undefined when none is stored). `visit` must be done with the
   * view when it returns: on engines that lend their bytes (lmdb, memory), the view is over the engine's own buffer,
   * read without a copy, and valid only until the next read.
   */
  async readGroups(
    id: string,
    groups: readonly ChunkGroup[],
    visit: (group: ChunkGroup, view: ChunkView | undefined) => void,
  ): Promise<void> {
    const lend = this.#engine.sync?.getTransient?.bind(this.#engine.sync);
    if (lend) {
      for (const group of groups) {
        const blob = lend(this.chunkKey(id, group.bin));
        visit(group, blob === undefined ? undefined : new ChunkView(blob, this.chunkName(id, group.bin)));
      }
      return;
    }
    for (let start = 0; start < groups.length; start += SWEEP_DEFAULTS.readBatch) {
      const batch = groups.slice(start, start + SWEEP_DEFAULTS.readBatch);
      const views = await this.chunks(
        batch.map((group) => this.chunkKey(id, group.bin)),
        (index) => this.chunkName(id, batch[index].bin),
      );
      batch.forEach((group, index) => visit(group, views[index]));
    }
  }

  /** The chunks under `keys`, undefined where none is stored. */
  async chunks(keys: readonly Uint8Array[], what: (index: number) => string): Promise<(ChunkView | undefined)[]> {
    const blobs = await this.#engine.getMany(keys);
    return blobs.map((blob, index) => (blob === undefined ? undefined : new ChunkView(blob, what(index))));
  }

  /** Merges `points` (slot → value bytes) into the chunk under `key`, keeping what others stored meanwhile. */
  async merge(key: Uint8Array, points: ReadonlyMap<number, Uint8Array>, what: string): Promise<void> {
    const compareAndSet = this.#compareAndSet();
    for (;;) {
      const before = await this.#engine.get(key);
      const next = mergeChunk(before === undefined ? undefined : new ChunkView(before, what), points);
      if (await compareAndSet(key, before, next)) return;
    }
  }
}
