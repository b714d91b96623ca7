import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { NondeterministicIterableError, SequenceIncompleteError } from '../errors.js';
import { LeaseLostError } from '../lease/errors.js';
import type { Lease } from '../lease/lease.js';
import type { Serializer } from '../serializers/serializer.js';
import { ChangeSignal } from './changes.js';
import type { DecodedShards, ShardEntry } from './decoded-shards.js';
import { DiskBudget } from './disk-budget.js';
import type { SequenceStash } from './host.js';
import { encodeShard, isPlainJsonText, ShardView } from './shard-format.js';
import type { SequenceMeta, SequenceStore } from './store.js';
import { PieceFollower, PieceSender } from './pieces.js';
import { StreamingShard } from './streaming-shard.js';
import type { SequenceStats } from './types.js';
import type { Writer } from './writer.js';

/** A shard being obtained (read, generated, or followed while another generates it) in this process. */
export interface Task {
  readonly stream: StreamingShard;
  readonly done: Promise<ShardEntry | null>;
}

/** What obtaining shards needs of its sequence: its name, what is known of its length, and a way to learn more. */
export interface SequenceBounds {
  readonly name: string;
  /** Items per shard (known before any shard is asked for). */
  shardLength(): number;
  /** The number of items when known; null before. */
  length(): number | null;
  /** Takes the shard length and length of a meta record read or stored. */
  learnMeta(meta: SequenceMeta): void;
  /** Records a length seen here, in the meta record too; NondeterministicIterableError when it disagrees with one stored. */
  learnLength(length: number, shard: number): Promise<number>;
  /** Takes a length seen here when none is known yet (in this object only). */
  noteLength(length: number): void;
}

export interface ShardSupplyOptions {
  readonly sequence: SequenceBounds;
  /** The sequence's sub-stash: shard leases. */
  readonly stash: SequenceStash;
  readonly store: SequenceStore;
  /** Undefined when the sequence was opened without its iterable: then shards are only read. */
  readonly writer: Writer<unknown> | undefined;
  readonly serializer: Serializer;
  /** Items are encoded by the hashstash serializer, which writes plain values as JSON: shards may be JSON arrays. */
  readonly jsonItems: boolean;
  readonly shards: DecodedShards;
  readonly prefetch: number;
  readonly leaseTtl: number;
  readonly maxDiskBytes: number;
}

/** The counts of {@link SequenceStats} kept by obtaining shards. */
export type SupplyCounts = Pick<SequenceStats, 'loads' | 'generated' | 'rebuilds' | 'evictions' | 'prefetches'>;

/** Pause bounds while another thread or process generates a shard (woken sooner by the change feed). */
const FIRST_WAIT_MS = 2;
const LAST_WAIT_MS = 100;
/** A generator running a synchronous iterable lets timers and I/O run (lease renewals, piece writes) this often. */
const TURN_MS = 8;

/**
 * Obtains a sequence's shards in this process, one task per shard: read from storage; else generated here under the
 * shard's lease; else followed while the lease's holder (another thread or process) generates it. Every shard obtained
 * is held in `shards`; the shards stored are counted in the meta record and kept within the disk budget.
 */
export class ShardSupply {
  readonly #sequence: SequenceBounds;
  readonly #stash: SequenceStash;
  readonly #store: SequenceStore;
  readonly #writer: Writer<unknown> | undefined;
  readonly #serializer: Serializer;
  readonly #jsonItems: boolean;
  readonly #shards: DecodedShards;
  readonly #prefetch: number;
  readonly #leaseTtl: number;
  readonly #tasks = new Map<number, Task>();
  readonly #changes: ChangeSignal;
  readonly #disk: DiskBudget;
  /** Shards stored by this object and their bytes, not yet added to the meta record's counts. */
  readonly #unrecorded = { bytes: 0, shards: 0 };
  /** Background work (see #background). */
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;
  #loads = 0;
  #generated = 0;
  #rebuilds = 0;
  #evictions = 0;
  #prefetches = 0;

  constructor(options: ShardSupplyOptions) {
    this.#sequence = options.sequence;
    this.#stash = options.stash;
    this.#store = options.store;
    this.#writer = options.writer;
    this.#serializer = options.serializer;
    this.#jsonItems = options.jsonItems;
    this.#shards = options.shards;
    this.#prefetch = options.prefetch;
    this.#leaseTtl = options.leaseTtl;
    this.#disk = new DiskBudget(options.store, options.maxDiskBytes);
    this.#changes = new ChangeSignal(options.stash.engine);
  }

  get counts(): SupplyCounts {
    return {
      loads: this.#loads,
      generated: this.#generated,
      rebuilds: this.#rebuilds,
      evictions: this.#evictions,
      prefetches: this.#prefetches,
    };
  }

  /** The task obtaining shard k in this process: the one under way, or a new one. */
  ensure(k: number, index: number): Task {
    const running = this.#tasks.get(k);
    if (running !== undefined) return running;
    const stream = new StreamingShard();
    const done = this.#obtain(k, index, stream).then(
      (entry) => {
        this.#tasks.delete(k);
        const shardLength = this.#sequence.shardLength();
        if (entry !== null && entry.view.count < shardLength)
          this.#sequence.noteLength(k * shardLength + entry.view.count);
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

  prefetchAfter(k: number, shardLength: number): void {
    for (let ahead = 1; ahead <= this.#prefetch; ahead++) {
      const next = k + ahead;
      const length = this.#sequence.length();
      if (length !== null && next * shardLength >= length) return;
      if (this.#shards.has(next) || this.#tasks.has(next)) continue;
      this.#prefetches++;
      this.ensure(next, next * shardLength);
    }
  }

  /** Shard k, read synchronously from storage by the caller: counted, marked as used on disk, and held in RAM. */
  loaded(k: number, view: ShardView): ShardEntry {
    this.#loads++;
    this.#disk.touch(k, view.blob.length);
    return this.#shards.remember(k, view, undefined);
  }

  /**
   * Resolves once the shards this object is reading or generating now are done: stored (and counted in the meta
   * record), or failed.
   */
  async settled(): Promise<void> {
    while (this.#tasks.size > 0 || this.#pending.size > 0) {
      await Promise.allSettled([...[...this.#tasks.values()].map((task) => task.done), ...this.#pending]);
    }
    await this.recordDiskUse();
  }

  /** No shard is generated from now on, nor the change feed watched; resolves as {@link settled}. */
  close(): Promise<void> {
    this.#closed = true;
    this.#changes.close();
    return this.settled();
  }

  /** Adds the shards stored (and their bytes) not yet counted in the meta record, in one compare-and-set. */
  async recordDiskUse(): Promise<void> {
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
      this.#sequence.learnMeta(meta!);
    } catch (error) {
      this.#unrecorded.bytes += bytes;
      this.#unrecorded.shards += shards;
      throw error;
    }
  }

  /** True when the sequence's length is known and ends at or before shard k. */
  #endsBefore(k: number, shardLength: number): boolean {
    const length = this.#sequence.length();
    return length !== null && k * shardLength >= length;
  }

  /**
   * Shard k: read from storage; else generated here under its lease; else followed while the lease's holder (another
   * thread or process) generates it, its items passed on as they are stored. Null when the sequence ends before it.
   */
  async #obtain(k: number, index: number, stream: StreamingShard): Promise<ShardEntry | null> {
    const shardLength = this.#sequence.shardLength();
    const name = this.#sequence.name;
    const follower = new PieceFollower(this.#store, k, stream, (j, bytes) => this.#sameAsStreamed(k, stream, j, bytes));
    for (let wait = FIRST_WAIT_MS; ; wait = Math.min(LAST_WAIT_MS, wait * 2)) {
      const stored = await this.#load(k, stream);
      if (stored !== undefined) return stored;
      if (this.#endsBefore(k, shardLength)) return this.#ended(stream);
      if (this.#writer === undefined || this.#closed) {
        const meta = await this.#store.meta();
        if (meta !== undefined) this.#sequence.learnMeta(meta);
        if (this.#endsBefore(k, shardLength)) return this.#ended(stream);
        throw new SequenceIncompleteError(
          this.#closed
            ? `sequence '${name}' was closed before shard ${k} was stored`
            : `shard ${k} of sequence '${name}' is not stored, and the sequence was opened without its iterable`,
          index,
          k,
        );
      }
      const lease = await this.#stash.lease(`shard-${k}`, { ttl: this.#leaseTtl, wait: false });
      if (lease !== null) {
        try {
          const again = await this.#load(k, stream);
          if (again !== undefined) return again;
          const meta = await this.#store.meta();
          if (meta !== undefined) this.#sequence.learnMeta(meta);
          if (this.#endsBefore(k, shardLength)) return this.#ended(stream);
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
    const shardLength = this.#sequence.shardLength();
    const name = this.#sequence.name;
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
      if (endedAt !== undefined) await this.#sequence.learnLength(endedAt, k);
      if (count === 0) {
        if (this.#sequence.length() === null) await this.#sequence.learnLength(k * shardLength, k);
        this.#background(store.dropPieces(k, token, true));
        return this.#ended(stream);
      }
      const blob = encodeShard(encoded, jsonArray);
      const view = new ShardView(blob, `shard ${k} of sequence '${name}'`);
      if (before !== undefined && (before.crc !== view.crc || before.count !== view.count)) {
        throw new NondeterministicIterableError(
          `shard ${k} of sequence '${name}' was generated again with other items than the first time ` +
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
      if (this.#disk.bounded || this.#unrecorded.shards >= 16) await this.recordDiskUse();
      if (count < shardLength) await this.#sequence.learnLength(k * shardLength + count, k);
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
        `item ${j} of shard ${k} of sequence '${this.#sequence.name}' differs from the one a generator before produced: the iterable is not deterministic`,
        k,
      );
    }
  }
}
