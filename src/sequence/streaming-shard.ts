import { DecodeError } from '../errors.js';

/**
 * A shard while it is produced, readable item by item as it arrives (LitData's streaming chunk buffer): items come as
 * whole encoded items (`push`, from a generator in this process) or as bytes of their framed stream in pieces of any
 * size (`append`, from pieces another process stored). `item(j)` resolves as soon as item j is complete; `finish()`
 * resolves the items asked past the end with undefined; `fail(error)` rejects every waiter with the error.
 *
 * The framed stream is each item's encoded bytes after their length (uint32 little-endian): availability comes from
 * the bytes actually received, never from an expected total.
 */
export class StreamingShard {
  /** Encoded bytes of the items complete so far. */
  readonly #items: Uint8Array[] = [];
  /** Decoded values given with `push`, where the producer had them (no decoding needed to read them). */
  readonly #values: unknown[] = [];
  readonly #waiters = new Map<
    number,
    { resolve: (bytes: Uint8Array | undefined) => void; reject: (error: unknown) => void }[]
  >();
  /** Bytes of an incomplete frame, kept until the rest arrives. */
  #carry: Uint8Array = EMPTY;
  /** A stored shard adopted whole: its items past those pushed are read from it, without a copy each. */
  #view: ItemSource | undefined;
  #finished = false;
  #error: unknown = undefined;
  #failed = false;

  /** Items complete so far. */
  get available(): number {
    return Math.max(this.#items.length, this.#view?.count ?? 0);
  }
  /** True once finished: no more items will come. */
  get finished(): boolean {
    return this.#finished;
  }
  /** True once failed. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Adds one whole item (its encoded bytes, and its value when the producer has it); returns its index. */
  push(bytes: Uint8Array, value: unknown = HOLE): number {
    this.#assertOpen();
    const j = this.#items.length;
    this.#items.push(bytes);
    this.#values.push(value);
    this.#wake(j, bytes);
    return j;
  }

  /**
   * Adds a piece of the framed stream; returns the indices of the items it completed (none while a frame is still
   * incomplete).
   *
   * @throws {@link DecodeError} when bytes arrive after `finish()`.
   */
  append(piece: Uint8Array): number[] {
    this.#assertOpen();
    let data = piece;
    if (this.#carry.length > 0) {
      data = Buffer.concat([this.#carry, piece]);
      this.#carry = EMPTY;
    }
    const completed: number[] = [];
    let at = 0;
    while (data.length - at >= 4) {
      const length = (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16)) + data[at + 3] * 0x1000000;
      if (data.length - at - 4 < length) break;
      // A copy, so the item does not keep the whole piece alive.
      completed.push(this.push(Uint8Array.prototype.slice.call(data, at + 4, at + 4 + length)));
      at += 4 + length;
    }
    if (at < data.length) this.#carry = Uint8Array.prototype.slice.call(data, at);
    return completed;
  }

  /** Item j's encoded bytes if it is here already, else undefined (see {@link item} to wait for it). */
  peek(j: number): Uint8Array | undefined {
    if (j < this.#items.length) return this.#items[j];
    const view = this.#view;
    return view !== undefined && j >= 0 && j < view.count ? view.item(j) : undefined;
  }

  /**
   * The whole shard, stored: every item it has that was not pushed comes from `view`, and the stream is finished.
   * Waiters get their items (or undefined past its end) at once.
   */
  adopt(view: ItemSource): void {
    this.#assertOpen();
    this.#view = view;
    this.#carry = EMPTY;
    for (const [j, list] of this.#waiters) {
      const bytes = this.peek(j);
      for (const waiter of list) waiter.resolve(bytes);
    }
    this.#waiters.clear();
    this.#finished = true;
  }

  /** Item j's value as the producer gave it, or {@link HOLE} when it must be decoded from its bytes. */
  value(j: number): unknown {
    return j < this.#values.length ? this.#values[j] : HOLE;
  }

  /**
   * Item j's encoded bytes once it is complete; undefined when the shard finished with fewer items.
   *
   * @throws What `fail` was given, for every waiter.
   */
  item(j: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const ready = this.peek(j);
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#finished) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as unknown);
        return;
      }
      const waiter = { resolve, reject };
      const list = this.#waiters.get(j);
      if (list) list.push(waiter);
      else this.#waiters.set(j, [waiter]);
      signal?.addEventListener(
        'abort',
        () => {
          const waiting = this.#waiters.get(j);
          const at = waiting?.indexOf(waiter) ?? -1;
          if (at >= 0) waiting!.splice(at, 1);
          reject(signal.reason as unknown);
        },
        { once: true },
      );
    });
  }

  /** No more items: waiters past the last one get undefined. A frame left incomplete is damage (DecodeError to all). */
  finish(): void {
    if (this.#finished || this.#failed) return;
    if (this.#carry.length > 0) {
      this.fail(new DecodeError(`a streamed shard ended inside an item (${this.#carry.length} bytes of a frame left)`));
      return;
    }
    this.#finished = true;
    for (const list of this.#waiters.values()) for (const waiter of list) waiter.resolve(undefined);
    this.#waiters.clear();
  }

  /** The producer failed: every waiter, now and later, is rejected with `error`. */
  fail(error: unknown): void {
    if (this.#finished || this.#failed) return;
    this.#failed = true;
    this.#error = error;
    for (const list of this.#waiters.values()) for (const waiter of list) waiter.reject(error);
    this.#waiters.clear();
  }

  #wake(j: number, bytes: Uint8Array): void {
    const list = this.#waiters.get(j);
    if (list === undefined) return;
    this.#waiters.delete(j);
    for (const waiter of list) waiter.resolve(bytes);
  }

  #assertOpen(): void {
    if (this.#finished || this.#failed)
      throw new DecodeError('an item arrived for a streamed shard that was already finished');
  }
}

const EMPTY = new Uint8Array(0);

/** What {@link StreamingShard.adopt} reads items from: a stored shard. */
export interface ItemSource {
  readonly count: number;
  item(j: number): Uint8Array;
}

/** Marks a value not decoded yet (items may be undefined themselves). */
export const HOLE: unique symbol = Symbol('not decoded');

/** The framed stream of several items at once. */
export function frames(items: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const item of items) total += 4 + item.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const item of items) {
    out.writeUInt32LE(item.length, at);
    out.set(item, at + 4);
    at += 4 + item.length;
  }
  return out;
}
