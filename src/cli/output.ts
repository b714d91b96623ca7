import { Buffer } from 'node:buffer';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Output is handed to the stream in chunks of this many bytes: one write per line costs more than the line. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Where a command writes: standard output, or a file. Text and bytes are copied into 64 KB chunks, each handed to the
 * stream when full; {@link ready} waits while the stream is full, so an export of any size holds a few chunks.
 */
export class Output {
  readonly #stream: NodeJS.WritableStream;
  readonly #file: boolean;
  #chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  #used = 0;
  /** The stream said it is full: wait for 'drain' before more. */
  #full = false;
  #failed: Error | undefined;

  constructor(file?: string) {
    this.#file = file !== undefined;
    this.#stream = file === undefined ? process.stdout : createWriteStream(file);
    this.#stream.on('error', (error: Error) => {
      this.#failed = error;
    });
  }

  /** Adds `text` (UTF-8). */
  text(text: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes: most text needs no measuring to know it fits.
    if (this.#used + text.length * 3 > CHUNK_BYTES && this.#used + Buffer.byteLength(text) > CHUNK_BYTES) {
      this.#handOver();
      if (Buffer.byteLength(text) > CHUNK_BYTES) return this.#writeWhole(Buffer.from(text));
    }
    this.#used += this.#chunk.write(text, this.#used);
  }

  /** Adds bytes as they are (already UTF-8). */
  bytes(bytes: Uint8Array): void {
    if (this.#used + bytes.length > CHUNK_BYTES) {
      this.#handOver();
      if (bytes.length > CHUNK_BYTES) return this.#writeWhole(Buffer.from(bytes));
    }
    this.#chunk.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** Adds `text`; a promise when the stream is full, to be awaited before more. */
  write(text: string): Promise<void> | undefined {
    this.text(text);
    return this.ready();
  }

  /** A promise that resolves once the stream takes more, when it is full; else undefined (and no promise is made). */
  ready(): Promise<void> | undefined {
    if (this.#failed) throw this.#failed;
    if (!this.#full) return undefined;
    return this.#drained();
  }

  async #drained(): Promise<void> {
    await once(this.#stream, 'drain'); // rejects on 'error'
    this.#full = false;
  }

  #handOver(): void {
    if (this.#used === 0) return;
    const chunk = this.#chunk.subarray(0, this.#used);
    this.#chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#used = 0;
    this.#writeWhole(chunk);
  }

  #writeWhole(bytes: Buffer): void {
    if (!this.#stream.write(bytes)) this.#full = true;
  }

  /** Hands over what is left; a file is closed, standard output stays open. */
  async close(): Promise<void> {
    this.#handOver();
    await this.ready();
    if (!this.#file) return;
    this.#stream.end();
    await once(this.#stream, 'close');
    if (this.#failed) throw this.#failed;
  }
}
