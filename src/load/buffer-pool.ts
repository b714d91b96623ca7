/** Buffers kept for reuse; more than this are left to the garbage collector. */
const KEPT = 4;

/**
 * ArrayBuffers handed back after use, so that a long load cycles through a few instead of leaving one per batch to
 * the garbage collector: batches cross threads as transferred ArrayBuffers, which V8 frees only at a full collection,
 * and between two of those a million-record load would pile up a hundred MB of spent batches.
 */
export class BufferPool {
  readonly #free: ArrayBuffer[] = [];

  /**
   * `size` bytes, in a kept buffer large enough or a new one with room to spare; `whole`: the view spans the whole
   * buffer, `size` bytes or more.
   */
  take(size: number, whole = false): Uint8Array {
    const index = this.#free.findIndex((buffer) => buffer.byteLength >= size);
    const buffer = index >= 0 ? this.#free.splice(index, 1)[0] : new ArrayBuffer(Math.max(64, Math.ceil(size * 1.25)));
    return new Uint8Array(buffer, 0, whole ? buffer.byteLength : size);
  }

  /** Keeps `buffer` for a later `take`; nothing else may use it any more. */
  give(buffer: ArrayBufferLike): void {
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && this.#free.length < KEPT) this.#free.push(buffer);
  }
}
