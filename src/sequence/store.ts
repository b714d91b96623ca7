import type { Engine } from '../engines/engine.js';
import { DecodeError, UnsupportedError } from '../errors.js';
import { encodeKey } from '../keys/encode.js';
import { ShardView } from './shard-format.js';

/**
 * A sequence's records in its sub-stash, each under a key of its own kind:
 * - `['meta']`: {@link SequenceMeta}, changed only by compare-and-set;
 * - `['shard', k]`: shard k, complete (shard-format.ts); removed when evicted from disk, rebuilt when read again;
 * - `['info', k]`: what shard k held when first generated (count, crc, bytes): kept after eviction, so a rebuild that
 *   differs is caught;
 * - `['want', k]`: a reader in another thread or process waits for shard k, so its generator stores what it produces
 *   as it goes (without one nothing is written before the whole shard);
 * - `['gen', k]` and `['piece', k, token, j]`: while shard k is generated and wanted, the generator's token and its
 *   items so far in pieces (framed, streaming-shard.ts), for those readers; removed once it is stored.
 */
export interface SequenceMeta {
  readonly version: 1;
  readonly shardLength: number;
  /** The number of items, once an end was seen; null before. */
  readonly length: number | null;
  /** Bytes and count of the shards stored now. */
  readonly diskBytes: number;
  readonly diskShards: number;
}

/** What shard k held when first generated. */
export interface ShardInfo {
  readonly count: number;
  readonly crc: number;
  readonly bytes: number;
}

const META_KEY = encodeKey(['meta']);
const WANTED = Buffer.from('1');
const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

function parse<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T;
  } catch (error) {
    throw new DecodeError(`the sequence's ${what} record is damaged`, { cause: error });
  }
}

export class SequenceStore {
  readonly engine: Engine;
  readonly #name: string;

  constructor(engine: Engine, name: string) {
    this.engine = engine;
    this.#name = name;
  }

  shardKey(k: number): Uint8Array {
    return encodeKey(['shard', k]);
  }
  genKey(k: number): Uint8Array {
    return encodeKey(['gen', k]);
  }
  wantKey(k: number): Uint8Array {
    return encodeKey(['want', k]);
  }

  putWant(k: number): Promise<void> {
    return this.engine.set(this.wantKey(k), WANTED);
  }
  async wanted(k: number): Promise<boolean> {
    return (await this.engine.get(this.wantKey(k))) !== undefined;
  }
  pieceKey(k: number, token: string, j: number): Uint8Array {
    return encodeKey(['piece', k, token, j]);
  }

  async meta(): Promise<SequenceMeta | undefined> {
    const bytes = await this.engine.get(META_KEY);
    return bytes === undefined ? undefined : parse<SequenceMeta>(bytes, 'meta');
  }

  metaSync(): SequenceMeta | undefined {
    const bytes = this.engine.sync?.get(META_KEY);
    return bytes === undefined ? undefined : parse<SequenceMeta>(bytes, 'meta');
  }

  /**
   * Applies `change` to the stored meta by compare-and-set, again from the newer record when another writer got in
   * first; `change` gets undefined when there is none yet and returns the record to store (or undefined: leave it).
   */
  async updateMeta(
    change: (meta: SequenceMeta | undefined) => SequenceMeta | undefined,
  ): Promise<SequenceMeta | undefined> {
    const { engine } = this;
    if (typeof engine.compareAndSet !== 'function') {
      throw new UnsupportedError(
        `the ${engine.name} engine has no compareAndSet, which sequences need to share their metadata`,
      );
    }
    for (;;) {
      const before = await engine.get(META_KEY);
      const current = before === undefined ? undefined : parse<SequenceMeta>(before, 'meta');
      const next = change(current);
      if (next === undefined) return current;
      if (await engine.compareAndSet(META_KEY, before, json(next))) return next;
    }
  }

  async shard(k: number): Promise<ShardView | undefined> {
    const blob = await this.engine.get(this.shardKey(k));
    return blob === undefined ? undefined : new ShardView(blob, `shard ${k} of sequence '${this.#name}'`);
  }

  shardSync(k: number): ShardView | undefined {
    const blob = this.engine.sync?.get(this.shardKey(k));
    return blob === undefined ? undefined : new ShardView(blob, `shard ${k} of sequence '${this.#name}'`);
  }

  /**
   * Stores shard k, and with it what it holds when it is generated the first time. Two `set`s rather than a `setMany`:
   * lmdb batches concurrent sets into one asynchronous commit, where its setMany commits synchronously, on this thread.
   */
  async putShard(k: number, blob: Uint8Array, info: ShardInfo | undefined): Promise<void> {
    await Promise.all([
      this.engine.set(this.shardKey(k), blob),
      info === undefined ? undefined : this.engine.set(encodeKey(['info', k]), json(info)),
    ]);
  }
  deleteShard(k: number): Promise<boolean> {
    return this.engine.delete(this.shardKey(k));
  }

  async info(k: number): Promise<ShardInfo | undefined> {
    const bytes = await this.engine.get(encodeKey(['info', k]));
    return bytes === undefined ? undefined : parse<ShardInfo>(bytes, `info of shard ${k}`);
  }

  async gen(k: number): Promise<string | undefined> {
    const bytes = await this.engine.get(this.genKey(k));
    return bytes === undefined ? undefined : parse<{ token: string }>(bytes, `generator of shard ${k}`).token;
  }

  putGen(k: number, token: string): Promise<void> {
    return this.engine.set(this.genKey(k), json({ token }));
  }

  piece(k: number, token: string, j: number): Promise<Uint8Array | undefined> {
    return this.engine.get(this.pieceKey(k, token, j));
  }
  putPiece(k: number, token: string, j: number, bytes: Uint8Array): Promise<void> {
    return this.engine.set(this.pieceKey(k, token, j), bytes);
  }

  /**
   * Removes the generator record of shard k if it is still `token`'s, and `token`'s pieces (counted from 0 until one is
   * missing); with `served`, the readers' wish for the shard too.
   */
  async dropPieces(k: number, token: string, served = false): Promise<void> {
    if (served) await this.engine.delete(this.wantKey(k));
    const genKey = this.genKey(k);
    const record = await this.engine.get(genKey);
    if (record !== undefined && parse<{ token: string }>(record, `generator of shard ${k}`).token === token) {
      await (this.engine.compareAndSet
        ? this.engine.compareAndSet(genKey, record, undefined)
        : this.engine.delete(genKey));
    }
    for (let j = 0; await this.engine.delete(this.pieceKey(k, token, j)); j++);
  }
}
