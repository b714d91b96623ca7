import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ConfigError, NondeterministicIterableError, SequenceIncompleteError } from '../errors.js';
import { LeaseLostError } from '../lease/errors.js';
import type { Lease } from '../lease/lease.js';
import { getSerializer } from '../serializers/index.js';
import type { Serializer } from '../serializers/serializer.js';
import { ChangeSignal } from './changes.js';
import { DecodedShards, type ShardEntry } from './decoded-shards.js';
import { DiskBudget } from './disk-budget.js';
import type { SequenceParent, SequenceStash } from './host.js';
import {
  resolveSequenceOptions,
  SIZE_SAMPLE_ITEMS,
  type ResolvedSequenceOptions,
  type SequenceOptions,
} from './options.js';
import { encodeShard, isPlainJsonText, ShardView } from './shard-format.js';
import { SequenceStore, type SequenceMeta } from './store.js';
import { PieceFollower, PieceSender } from './pieces.js';
import { HOLE, StreamingShard } from './streaming-shard.js';
import { SequenceView, type IndexSource } from './views.js';
import { Writer, type IterableFactory } from './writer.js';
import { abortable } from './abortable.js';
import { outOfRange } from './index-range.js';
import type { SequenceStats, SyncSequence } from './types.js';

/** A shard being obtained (read, generated, or followed while another generates it) in this process. */
interface Task {
  readonly stream: StreamingShard;
  readonly done: Promise<ShardEntry | null>;
}

/** Pause bounds while another thread or process generates a shard (woken sooner by the change feed). */
const FIRST_WAIT_MS = 2;
const LAST_WAIT_MS = 100;
/** A generator running a synchronous iterable lets timers and I/O run (lease renewals, piece writes) this often. */
const TURN_MS = 8;

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
  readonly #tasks = new Map<number, Task>();
  readonly #changes: ChangeSignal;
  readonly #disk: DiskBudget;
  /** Shards stored by this object and their bytes, not yet added to the meta record's counts. */
  readonly #unrecorded = { bytes: 0, shards: 0 };
  /** Background work (see #background). */
  readonly #pending = new Set<Promise<unknown>>();
  /** Items are encoded by the hashstash serializer, which writes plain values as JSON: shards may be JSON arrays. */
  readonly #jsonItems: boolean;
  #ready: Promise<number | undefined> | undefined;
  #shardLength: number | undefined;
  #length: number | null = null;
  #closed = false;
  #hits = 0;
  #misses = 0;
  #loads = 0;
  #generated = 0;
  #rebuilds = 0;
  #evictions = 0;
  #prefetches = 0;

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
    this.#jsonItems = this.#stash.options.serializer === 'hashstash';
    this.#shards = new DecodedShards({
      name: this.name,
      capacity: this.#options.memoryShards,
      serializer: this.#serializer,
      trustCode: this.#stash.options.trustCode,
    });
    this.#disk = new DiskBudget(this.#store, this.#options.maxDiskBytes);
    this.#changes = new ChangeSignal(this.#stash.engine);
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
    const task = this.#ensure(k, i);
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
      const task = this.#ensure(k, k * length);
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
        this.#prefetchAfter(k, length);
      } else {
        this.#misses++;
        const task = this.#ensure(k, k * length);
        this.#prefetchAfter(k, length);
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
          this.#loads++;
          this.#disk.touch(k, view.blob.length);
          entry = this.#shards.remember(k, view, undefined);
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
  async settled(): Promise<void> {
    while (this.#tasks.size > 0 || this.#pending.size > 0) {
      await Promise.allSettled([...[...this.#tasks.values()].map((task) => task.done), ...this.#pending]);
    }
    await this.#recordDiskUse();
  }

  /** Adds the shards stored (and their bytes) not yet counted in the meta record, in one compare-and-set. */
  async #recordDiskUse(): Promise<void> {
    const { bytes, shards } = this.#unrecorded;
    if (shards === 0 && bytes === 0) return;
    this.#unrecorded.bytes = 0;
    this.#unrecorded.shards = 0;
    try {
      const meta = await this.#store.updateMeta((current) => ({
        ...current!,
        diskBytes: current!.diskBytes + bytes,
        diskShards: current!.diskShards + shards,
      }));
      this.#learnMeta(meta!);
    } catch (error) {
      this.#unrecorded.bytes += bytes;
      this.#unrecorded.shards += shards;
      throw error;
    }
  }

  /** Counts of this object's reads and generations, with the shards and bytes stored now. */
  async stats(): Promise<SequenceStats> {
    await this.#recordDiskUse();
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
      loads: this.#loads,
      generated: this.#generated,
      rebuilds: this.#rebuilds,
      evictions: this.#evictions,
      prefetches: this.#prefetches,
      iteratorRuns: this.#writer?.runs ?? 0,
    };
  }

  /** Waits for the shards in progress here (a generator stores its shard), then closes the sub-stash. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#changes.close();
    await this.settled();
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

  // ---- shards ----

  /** The task obtaining shard k in this process: the one under way, or a new one. */
  #ensure(k: number, index: number): Task {
    const running = this.#tasks.get(k);
    if (running !== undefined) return running;
    const stream = new StreamingShard();
    const done = this.#obtain(k, index, stream).then(
      (entry) => {
        this.#tasks.delete(k);
        if (entry !== null && entry.view.count < this.#shardLength!)
          this.#length ??= k * this.#shardLength! + entry.view.count;
        return entry;
      },
      (error: unknown) => {
        this.#tasks.delete(k);
        stream.fail(error);
        throw error;
      },
    );
    done.catch(() => {}); // readers get the error through the stream and `done`; a prefetch nobody reads must not go unhandled
    const task = { stream, done };
    this.#tasks.set(k, task);
    return task;
  }

  #prefetchAfter(k: number, shardLength: number): void {
    for (let ahead = 1; ahead <= this.#options.prefetch; ahead++) {
      const next = k + ahead;
      if (this.#length !== null && next * shardLength >= this.#length) return;
      if (this.#shards.has(next) || this.#tasks.has(next)) continue;
      this.#prefetches++;
      this.#ensure(next, next * shardLength);
    }
  }

  /**
   * Shard k: read from storage; else generated here under its lease; else followed while the lease's holder (another
   * thread or process) generates it, its items passed on as they are stored. Null when the sequence ends before it.
   */
  async #obtain(k: number, index: number, stream: StreamingShard): Promise<ShardEntry | null> {
    const shardLength = this.#shardLength!;
    const follower = new PieceFollower(this.#store, k, stream, (j, bytes) => this.#sameAsStreamed(k, stream, j, bytes));
    for (let wait = FIRST_WAIT_MS; ; wait = Math.min(LAST_WAIT_MS, wait * 2)) {
      const stored = await this.#load(k, stream);
      if (stored !== undefined) return stored;
      if (this.#length !== null && k * shardLength >= this.#length) return this.#ended(stream);
      if (this.#writer === undefined || this.#closed) {
        const meta = await this.#store.meta();
        if (meta !== undefined) this.#learnMeta(meta);
        if (this.#length !== null && k * shardLength >= this.#length) return this.#ended(stream);
        throw new SequenceIncompleteError(
          this.#closed
            ? `sequence '${this.name}' was closed before shard ${k} was stored`
            : `shard ${k} of sequence '${this.name}' is not stored, and the sequence was opened without its iterable`,
          index,
          k,
        );
      }
      const lease = await this.#stash.lease(`shard-${k}`, { ttl: this.#options.leaseTtl, wait: false });
      if (lease !== null) {
        try {
          const again = await this.#load(k, stream);
          if (again !== undefined) return again;
          const meta = await this.#store.meta();
          if (meta !== undefined) this.#learnMeta(meta);
          if (this.#length !== null && k * shardLength >= this.#length) return this.#ended(stream);
          return await this.#generate(k, stream, lease);
        } catch (error) {
          // Lost while generating (this process stalled past the ttl, say): another has the shard now; follow it. The
          // items already passed on stay, and the other generator's are checked against them.
          if (!(error instanceof LeaseLostError)) throw error;
        } finally {
          // Readers look for the stored shard before the lease, so nobody waits on this release.
          this.#background(lease.release());
        }
        continue;
      }
      // Another holds the lease: pass on the items it has stored so far, then wait for more (or for its lease to lapse).
      if (await follower.follow()) wait = FIRST_WAIT_MS;
      await this.#changes.wait(wait);
    }
  }

  #ended(stream: StreamingShard): null {
    stream.finish();
    return null;
  }

  /**
   * Shard k from storage, held in RAM, its items passed to `stream` (after those it has); undefined when it is not
   * stored. It is in RAM before any reader of the stream resumes, so the order of reads is the order of the LRU.
   */
  async #load(k: number, stream: StreamingShard): Promise<ShardEntry | undefined> {
    const view = await this.#store.shard(k);
    if (view === undefined) return undefined;
    this.#loads++;
    this.#disk.touch(k, view.blob.length);
    // Items passed on before (from a generator that then died or lost its lease) must be the stored ones.
    for (let j = 0; j < Math.min(stream.available, view.count); j++) this.#sameAsStreamed(k, stream, j, view.item(j));
    const entry = this.#shards.remember(k, view, undefined);
    stream.adopt(view);
    return entry;
  }

  /**
   * Runs the iterable over shard k, under its lease: items go to `stream` as they come and to other processes in
   * pieces; the whole shard is stored at the end. The iterator is held only while items are pulled, so the next shard's
   * generation overlaps this one's storing; cleaning up the pieces happens in the background.
   */
  async #generate(k: number, stream: StreamingShard, lease: Lease): Promise<ShardEntry | null> {
    const writer = this.#writer!;
    const shardLength = this.#shardLength!;
    const store = this.#store;
    // A rebuild (the shard was generated before) is checked against the first run before any item of it is served.
    const [dead, before, wantedAtStart] = await Promise.all([store.gen(k), store.info(k), store.wanted(k)]);
    const token = randomBytes(9).toString('base64url');
    // A generator that died here left its record and pieces: nobody reads them once this one's record is stored.
    if (dead !== undefined) this.#background(store.dropPieces(k, dead));
    const held: unknown[] | undefined = before === undefined ? undefined : [];
    const encoded: Uint8Array[] = [];
    let jsonArray = this.#jsonItems;
    // A rebuild's items are passed on to no one before they are checked: the sender gets an empty list then.
    const sender = new PieceSender(store, k, token, held === undefined ? encoded : [], wantedAtStart);
    let count = 0;
    let endedAt: number | undefined;
    try {
      await writer.exclusive(k * shardLength, async () => {
        try {
          if (!(await writer.seek(k * shardLength))) {
            endedAt = writer.position;
            return;
          }
          let lastTurn = performance.now();
          while (count < shardLength) {
            if (lease.lost) throw lease.signal.reason;
            const pulled = writer.pull();
            const next = pulled instanceof Promise ? await pulled : pulled;
            if (next.done) break;
            const bytes = this.#serializer.serialize(next.value);
            if (jsonArray && !isPlainJsonText(bytes)) jsonArray = false;
            encoded.push(bytes);
            count++;
            if (held !== undefined) held.push(next.value);
            else {
              // Items already passed on from a generator that died before this one took over must be these.
              if (count <= stream.available) this.#sameAsStreamed(k, stream, count - 1, bytes);
              else stream.push(bytes, next.value);
              if (count === 1) sender.send();
            }
            // Readers of the items pushed (this thread's) resume at the next await: one after the first item, then one
            // every 32 (a synchronous iterable gives no other), and a turn of the event loop every TURN_MS for timers and I/O.
            if (count === 1) await Promise.resolve();
            else if ((count & 31) === 0) {
              if (performance.now() - lastTurn >= TURN_MS) {
                await nextTurn();
                lastTurn = performance.now();
              } else await Promise.resolve();
            }
          }
        } catch (error) {
          writer.reset();
          throw error;
        }
      });
      await sender.stop();
      if (endedAt !== undefined) await this.#learnLength(endedAt, k);
      if (count === 0) {
        if (this.#length === null) await this.#learnLength(k * shardLength, k);
        this.#background(store.dropPieces(k, token, true));
        return this.#ended(stream);
      }
      const blob = encodeShard(encoded, jsonArray);
      const view = new ShardView(blob, `shard ${k} of sequence '${this.name}'`);
      if (before !== undefined && (before.crc !== view.crc || before.count !== view.count)) {
        throw new NondeterministicIterableError(
          `shard ${k} of sequence '${this.name}' was generated again with other items than the first time ` +
            `(${view.count} items, crc ${view.crc.toString(16)}; before: ${before.count}, crc ${before.crc.toString(16)}): the iterable is not deterministic`,
          k,
        );
      }
      if (held !== undefined) {
        for (let j = 0; j < count; j++) {
          if (j < stream.available) this.#sameAsStreamed(k, stream, j, encoded[j]);
          else stream.push(encoded[j], held[j]);
        }
      }
      if (lease.lost) throw lease.signal.reason;
      await store.putShard(
        k,
        blob,
        before === undefined ? { count: view.count, crc: view.crc, bytes: blob.length } : undefined,
      );
      if (before !== undefined) this.#rebuilds++;
      this.#generated++;
      this.#unrecorded.bytes += blob.length;
      this.#unrecorded.shards++;
      // With a disk budget every shard is counted at once (eviction reads the count); without, every 16th, and on
      // stats(), settled() and close().
      if (this.#disk.bounded || this.#unrecorded.shards >= 16) await this.#recordDiskUse();
      if (count < shardLength) await this.#learnLength(k * shardLength + count, k);
      // Held as stored, decoded when read: the producer's objects would outlive the young generation in RAM, and a
      // cold pass leave old-generation garbage behind (RSS) that the collector clears only late.
      const entry = this.#shards.remember(k, view, undefined);
      stream.finish();
      this.#disk.touch(k, blob.length);
      if (sender.wanted || sender.announced) this.#background(store.dropPieces(k, token, true));
      this.#evictions += await this.#disk.evict(k, (shard) => this.#tasks.has(shard));
      return entry;
    } catch (error) {
      await sender.stop().catch(() => {});
      if (sender.announced) this.#background(store.dropPieces(k, token));
      throw error;
    }
  }

  /** Work nobody waits for (cleaning up, releasing a lease), awaited by {@link settled} and {@link close}; its failure is ignored. */
  #background(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #sameAsStreamed(k: number, stream: StreamingShard, j: number, bytes: Uint8Array): void {
    if (Buffer.compare(stream.peek(j)!, bytes) !== 0) {
      throw new NondeterministicIterableError(
        `item ${j} of shard ${k} of sequence '${this.name}' differs from the one a generator before produced: the iterable is not deterministic`,
        k,
      );
    }
  }
}
