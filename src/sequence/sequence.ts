import { ConfigError, NondeterministicIterableError, SequenceIncompleteError } from '../errors.js';
import { getSerializer } from '../serializers/index.js';
import type { Serializer } from '../serializers/serializer.js';
import { DecodedShards } from './decoded-shards.js';
import type { SequenceParent, SequenceStash } from './host.js';
import {
  resolveSequenceOptions,
  SIZE_SAMPLE_ITEMS,
  type ResolvedSequenceOptions,
  type SequenceOptions,
} from './options.js';
import { ShardSupply } from './shard-supply.js';
import { SequenceStore, type SequenceMeta } from './store.js';
import { HOLE } from './streaming-shard.js';
import { SequenceView, type IndexSource } from './views.js';
import { Writer, type IterableFactory } from './writer.js';
import { abortable } from './abortable.js';
import { outOfRange } from './index-range.js';
import type { SequenceStats, SyncSequence } from './types.js';

/**
 * Random access to the items of an iterable, cached in shards in a sub-stash (`stash.sequence(() => iterable, options)`):
 * `await seq.at(i)`, `seq.length()`, `for await (const item of seq)`, `slice`, `pick`. A shard is generated once across
 * every thread and process that opens the same sequence (its generator holds the engine's lease on it), and its items
 * can be read while it is generated. The iterable must yield the same items in the same order every time.
 *
 * @typeParam T - The items' type.
 */
export class Sequence<T> implements AsyncIterable<T>, AsyncDisposable, IndexSource<T> {
  /** The sequence's name: its sub-stash of the stash. */
  readonly name: string;
  readonly #stash: SequenceStash;
  readonly #store: SequenceStore;
  readonly #options: ResolvedSequenceOptions;
  readonly #writer: Writer<T> | undefined;
  readonly #serializer: Serializer;
  readonly #shards: DecodedShards;
  readonly #supply: ShardSupply;
  #ready: Promise<number | undefined> | undefined;
  #shardLength: number | undefined;
  #length: number | null = null;
  #closed = false;
  #hits = 0;
  #misses = 0;

  /** @internal Made by `stash.sequence(iterable, options)`. */
  constructor(parent: SequenceParent, factory: IterableFactory<T> | null, options: SequenceOptions) {
    if (factory !== null && typeof factory !== 'function') {
      throw new ConfigError(
        `stash.sequence takes a function returning a fresh iterable (or null to read what is stored), got ${typeof factory}`,
      );
    }
    this.#options = resolveSequenceOptions(options);
    this.name = this.#options.name;
    this.#stash = parent.sub(this.name, { compress: 'raw', b64: false, appendMode: false });
    this.#store = new SequenceStore(this.#stash.engine, this.name);
    this.#writer = factory === null ? undefined : new Writer(factory);
    this.#serializer = getSerializer(this.#stash.options.serializer);
    this.#shards = new DecodedShards({
      name: this.name,
      capacity: this.#options.memoryShards,
      serializer: this.#serializer,
      trustCode: this.#stash.options.trustCode,
    });
    this.#supply = new ShardSupply({
      sequence: {
        name: this.name,
        shardLength: () => this.#shardLength!,
        length: () => this.#length,
        learnMeta: (meta) => this.#learnMeta(meta),
        learnLength: (length, shard) => this.#learnLength(length, shard),
        noteLength: (length) => {
          this.#length ??= length;
        },
      },
      stash: this.#stash,
      store: this.#store,
      writer: this.#writer,
      serializer: this.#serializer,
      jsonItems: this.#stash.options.serializer === 'hashstash',
      shards: this.#shards,
      prefetch: this.#options.prefetch,
      leaseTtl: this.#options.leaseTtl,
      maxDiskBytes: this.#options.maxDiskBytes,
    });
  }

  /** The number of items when known already (without running anything); null otherwise. */
  get knownLength(): number | null {
    return this.#length;
  }

  /**
   * Item `index`; a negative index counts from the end (which needs the length: the iterable may run to its end).
   * Generates the item's shard when it is not stored, or waits for the thread or process generating it, getting the
   * item as soon as it is produced.
   *
   * @throws {@link IndexOutOfRangeError} past the end, or for an index that is not an integer (a float, NaN).
   * @throws {@link SequenceIncompleteError} when opened without the iterable and the shard is not stored.
   * @throws {@link NondeterministicIterableError} when a rebuilt shard differs from what it held before.
   * @throws What the iterable throws.
   */
  at(index: number): Promise<T> {
    const length = this.#shardLength;
    if (length !== undefined && Number.isSafeInteger(index) && index >= 0) {
      const k = Math.floor(index / length);
      const entry = this.#shards.get(k);
      if (entry !== undefined) {
        this.#hits++;
        const j = index - k * length;
        if (j >= entry.view.count) return Promise.reject(outOfRange(index, this.#length));
        try {
          return Promise.resolve(this.#shards.decode(entry, j) as T);
        } catch (error) {
          return Promise.reject(error);
        }
      }
    }
    return this.#at(index);
  }

  async #at(index: number): Promise<T> {
    const i = await this.#absolute(index);
    const length = await this.#shardLengthOrFail(i);
    const k = Math.floor(i / length);
    const j = i - k * length;
    const entry = this.#shards.get(k);
    if (entry !== undefined) {
      this.#hits++;
      if (j >= entry.view.count) throw outOfRange(index, this.#length);
      return this.#shards.decode(entry, j) as T;
    }
    this.#misses++;
    if (this.#length !== null && i >= this.#length) throw outOfRange(index, this.#length);
    const task = this.#supply.ensure(k, i);
    const bytes = await task.stream.item(j);
    if (bytes === undefined) {
      await task.done;
      throw outOfRange(index, this.#length);
    }
    return this.#shards.streamedValue(k, task.stream, j, bytes) as T;
  }

  /**
   * The number of items, running the iterable to its end if no one has yet (never returning for an endless one:
   * pass a `signal`).
   *
   * @throws The signal's reason when it aborts; {@link SequenceIncompleteError} when opened without the iterable and
   *   the stored shards stop before an end was seen.
   */
  async length(options: { readonly signal?: AbortSignal | undefined } = {}): Promise<number> {
    const { signal } = options;
    if (this.#length !== null) return this.#length;
    const length = await this.#shardLengthOrFail(0);
    for (let k = 0; ; k++) {
      signal?.throwIfAborted();
      if (this.#length !== null) return this.#length;
      const info = await this.#store.info(k);
      if (info !== undefined && info.count === length) continue;
      if (info !== undefined) return this.#learnLength(k * length + info.count, k);
      const task = this.#supply.ensure(k, k * length);
      const entry = await abortable(task.done, signal);
      if (entry === null || entry.view.count < length) {
        if (this.#length !== null) return this.#length;
        return this.#learnLength(k * length + (entry?.view.count ?? 0), k);
      }
    }
  }

  /** `for await (const item of seq)`: every item in order, shards read (or generated) `prefetch` ahead. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    // Items come in batches, a whole shard once it is in RAM, and are handed out without a step of a generator each.
    const batches = this.#batches();
    let batch: readonly unknown[] = [];
    let j = 0;
    const pull = async (): Promise<IteratorResult<T, undefined>> => {
      for (;;) {
        const next = await batches.next();
        if (next.done) return { done: true, value: undefined };
        batch = next.value;
        j = 0;
        if (batch.length > 0) return { done: false, value: batch[j++] as T };
      }
    };
    return {
      next: () => (j < batch.length ? Promise.resolve({ done: false, value: batch[j++] as T }) : pull()),
      return: async () => {
        batch = [];
        await batches.return(undefined);
        return { done: true, value: undefined };
      },
    };
  }

  /** The items in order: each shard's decoded items at once when it is in RAM, one by one while it is produced. */
  async *#batches(): AsyncGenerator<readonly unknown[], undefined> {
    const length = await this.#shardLengthOrFail(0);
    for (let k = 0; ; k++) {
      if (this.#length !== null && k * length >= this.#length) return;
      let entry = this.#shards.get(k);
      let j = 0;
      if (entry !== undefined) {
        this.#hits++;
        this.#supply.prefetchAfter(k, length);
      } else {
        this.#misses++;
        const task = this.#supply.ensure(k, k * length);
        this.#supply.prefetchAfter(k, length);
        const { stream } = task;
        // Items as they come while the shard is generated (or followed), all those there at each step; the shard in
        // RAM once it is there.
        while (j < length) {
          if (stream.peek(j) === undefined) {
            entry = this.#shards.peek(k);
            if (entry !== undefined) break;
            if ((await stream.item(j)) === undefined) {
              await task.done;
              return;
            }
          }
          // A shard read from storage is parsed at once; a generated one's items are taken as they were produced.
          if (stream.value(j) === HOLE) {
            entry = this.#shards.peek(k);
            if (entry !== undefined) break;
          }
          const end = Math.min(length, stream.available);
          const batch = new Array<unknown>(end - j);
          for (let i = j; i < end; i++) batch[i - j] = this.#shards.streamedValue(k, stream, i, stream.peek(i)!);
          j = end;
          yield batch;
        }
        if (entry === undefined) continue;
      }
      const count = entry.view.count;
      const parsed = j === 0 && entry.values[0] === HOLE ? this.#shards.parseAll(entry.view) : undefined;
      if (parsed !== undefined) yield parsed;
      else {
        for (let i = j; i < count; i++) this.#shards.decode(entry, i);
        yield j === 0 ? entry.values : entry.values.slice(j);
      }
      if (count < length) return;
    }
  }

  /**
   * A lazy view of items `start, start + step, …` before `stop`, as Python's slice: negative bounds count from the end
   * (then the length is needed), a negative step runs backwards. Leave `stop` undefined to run to the end.
   *
   * @throws {@link ConfigError} for a step of 0 or bounds that are not integers.
   */
  slice(start?: number, stop?: number, step?: number): SequenceView<T> {
    return SequenceView.slice(this, start, stop, step);
  }

  /** A lazy view of the items at `indices`, in that order (repeats allowed; negative counts from the end). */
  pick(indices: Iterable<number>): SequenceView<T> {
    return SequenceView.pick(this, indices);
  }

  /**
   * Synchronous reads of what is stored, on an engine with a synchronous store (lmdb, sqlite, pairtree, memory);
   * undefined on the others.
   */
  get sync(): SyncSequence<T> | undefined {
    const store = this.#store;
    if (!store.engine.capabilities.sync) return undefined;
    return {
      at: (index: number): T => {
        if (typeof index !== 'number' || !Number.isSafeInteger(index)) throw outOfRange(index, this.#length);
        if (this.#shardLength === undefined || (index < 0 && this.#length === null)) {
          const meta = store.metaSync();
          if (meta !== undefined) this.#learnMeta(meta);
        }
        const shardLength = this.#shardLength;
        if (shardLength === undefined)
          throw new SequenceIncompleteError(`sequence '${this.name}' has nothing stored yet`, index, 0);
        let i = index;
        if (i < 0) {
          if (this.#length === null)
            throw new SequenceIncompleteError(
              `the length of sequence '${this.name}' is not known yet: await seq.length() first`,
              index,
              0,
            );
          i += this.#length;
          if (i < 0) throw outOfRange(index, this.#length);
        }
        if (this.#length !== null && i >= this.#length) throw outOfRange(index, this.#length);
        const k = Math.floor(i / shardLength);
        let entry = this.#shards.get(k);
        if (entry !== undefined) this.#hits++;
        else {
          this.#misses++;
          const view = store.shardSync(k);
          if (view === undefined)
            throw new SequenceIncompleteError(
              `shard ${k} of sequence '${this.name}' is not stored yet: await seq.at(${index}) generates it`,
              i,
              k,
            );
          entry = this.#supply.loaded(k, view);
        }
        const j = i - k * shardLength;
        if (j >= entry.view.count) throw outOfRange(index, this.#length);
        return this.#shards.decode(entry, j) as T;
      },
    };
  }

  /**
   * Resolves once the shards this object is reading or generating now are done: stored (and counted in
   * {@link stats}), or failed. An item resolves as soon as it is produced, before its shard is stored.
   */
  settled(): Promise<void> {
    return this.#supply.settled();
  }

  /** Counts of this object's reads and generations, with the shards and bytes stored now. */
  async stats(): Promise<SequenceStats> {
    await this.#supply.recordDiskUse();
    const meta = await this.#store.meta();
    if (meta !== undefined) this.#learnMeta(meta);
    return {
      shardLength: this.#shardLength ?? null,
      length: this.#length,
      shardsInMemory: this.#shards.size,
      shardsOnDisk: meta?.diskShards ?? 0,
      diskBytes: meta?.diskBytes ?? 0,
      hits: this.#hits,
      misses: this.#misses,
      ...this.#supply.counts,
      iteratorRuns: this.#writer?.runs ?? 0,
    };
  }

  /** Waits for the shards in progress here (a generator stores its shard), then closes the sub-stash. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#supply.close();
    this.#shards.clear();
    await this.#stash.close();
  }

  /** {@link close}, for `await using seq = stash.sequence(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- indices and lengths ----

  /** `index` as a non-negative integer: a negative one counts from the end (the length is found first). */
  async #absolute(index: number): Promise<number> {
    if (typeof index !== 'number' || !Number.isSafeInteger(index)) throw outOfRange(index, this.#length);
    if (index >= 0) return index;
    const length = await this.length();
    if (index + length < 0) throw outOfRange(index, length);
    return index + length;
  }

  /** The shard length (reading or creating the meta record); SequenceIncompleteError naming `index` when nothing is stored and there is no iterable. */
  async #shardLengthOrFail(index: number): Promise<number> {
    if (this.#shardLength !== undefined) return this.#shardLength;
    this.#ready ??= this.#open().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    const length = await this.#ready;
    if (length === undefined) {
      this.#ready = undefined;
      throw new SequenceIncompleteError(
        `sequence '${this.name}' has nothing stored, and was opened without its iterable`,
        index,
        0,
      );
    }
    return length;
  }

  /** Reads the meta record, creating it (and fixing the shard length) when this is the first opening with an iterable. */
  async #open(): Promise<number | undefined> {
    const stored = await this.#store.meta();
    const wanted = this.#options.shardLength;
    if (stored !== undefined) {
      if (this.#options.shardLengthGiven && 'items' in wanted && wanted.items !== stored.shardLength) {
        throw new ConfigError(
          `sequence '${this.name}' is stored with shardLength ${stored.shardLength}; it was opened with ${wanted.items}`,
        );
      }
      this.#learnMeta(stored);
      return stored.shardLength;
    }
    const writer = this.#writer;
    if (writer === undefined) return undefined;
    const shardLength = 'items' in wanted ? wanted.items : await this.#estimate(writer, wanted.bytes);
    const meta = await this.#store.updateMeta(
      (current) => current ?? { version: 1, shardLength, length: null, diskBytes: 0, diskShards: 0 },
    );
    this.#learnMeta(meta!);
    return meta!.shardLength;
  }

  /** Items per shard for shards of about `bytes`, from the encoded size of the first items. */
  #estimate(writer: Writer<T>, bytes: number): Promise<number> {
    return writer.exclusive(0, async () => {
      const sample = await writer.sample(SIZE_SAMPLE_ITEMS);
      if (sample.length === 0) return 1;
      let total = 0;
      for (const item of sample) total += this.#serializer.serialize(item).length + 4;
      return Math.max(1, Math.floor(bytes / (total / sample.length)));
    });
  }

  #learnMeta(meta: SequenceMeta): void {
    this.#shardLength = meta.shardLength;
    if (meta.length !== null) this.#length = meta.length;
  }

  /** Records a length seen by this process, in the meta record too; NondeterministicIterableError when it disagrees with one stored. */
  async #learnLength(length: number, shard: number): Promise<number> {
    const meta = await this.#store.updateMeta((current) => {
      if (current === undefined || current.length === length) return undefined;
      if (current.length !== null) {
        throw new NondeterministicIterableError(
          `sequence '${this.name}' ended at ${length} items this time, at ${current.length} before (shard ${shard})`,
          shard,
        );
      }
      return { ...current, length };
    });
    if (meta !== undefined) this.#learnMeta(meta);
    this.#length = length;
    return length;
  }
}
