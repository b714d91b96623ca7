import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Text is handed to the stream in pieces of about this many characters: one write per line costs more than the line. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Where a command writes: standard output, or a file. Writes are gathered into 64 KB pieces and wait while the stream
 * is full, so an export of any size holds about one piece in memory.
 */
export class Output {
  readonly #stream: NodeJS.WritableStream;
  readonly #file: boolean;
  #pending = '';
  #failed: Error | undefined;

  constructor(file?: string) {
    this.#file = file !== undefined;
    this.#stream = file === undefined ? process.stdout : createWriteStream(file);
    this.#stream.on('error', (error: Error) => {
      this.#failed = error;
    });
  }

  /** Adds `text`; when a piece is full, hands it over, and the promise waits while the stream is full. */
  write(text: string): Promise<void> | void {
    this.#pending += text;
    if (this.#pending.length >= CHUNK_CHARS) return this.#flush();
  }

  #flush(): Promise<void> | void {
    if (this.#failed) throw this.#failed;
    const text = this.#pending;
    this.#pending = '';
    if (text === '' || this.#stream.write(text)) return;
    return this.#drained();
  }

  async #drained(): Promise<void> {
    await once(this.#stream, 'drain'); // rejects on 'error'
  }

  /** Hands over what is left; a file is closed, standard output stays open. */
  async close(): Promise<void> {
    await this.#flush();
    if (!this.#file) return;
    this.#stream.end();
    await once(this.#stream, 'close');
    if (this.#failed) throw this.#failed;
  }
}
