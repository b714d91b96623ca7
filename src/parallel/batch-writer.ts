import type { MapRunStore } from './host.js';

/** Results gathered before one write, unless WRITE_DELAY_MS pass first. */
export const WRITE_BATCH_SIZE = 256;
/** A result waits at most this long to be written, so a slow map still stores as it goes. */
export const WRITE_DELAY_MS = 200;

/**
 * Writes computed results from the parent thread in batches (`setManyByEncodedKey`), so workers never open the stash and any
 * engine works, including one that lives only in this thread. Keys come already encoded, and each value must be a
 * copy nobody else holds: it is serialized only when its batch is written. Writes run one after another; the first
 * that fails is kept and reported by `close()`.
 */
export class BatchWriter {
  readonly #stash: MapRunStore;
  #batch: [Uint8Array, unknown][] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #error: { error: unknown } | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #writeOptions: { readonly ttl: number } | undefined;

  /** @param ttl - The expiry of every result it writes, in ms; undefined: the stash's default. */
  constructor(stash: MapRunStore, onError: (error: unknown) => void, ttl?: number) {
    this.#stash = stash;
    this.#onError = onError;
    this.#writeOptions = ttl === undefined ? undefined : { ttl };
  }

  add(rawKey: Uint8Array, value: unknown): void {
    this.#batch.push([rawKey, value]);
    if (this.#batch.length >= WRITE_BATCH_SIZE) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), WRITE_DELAY_MS);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#writing = this.#writing.then(async () => {
      if (this.#error) return;
      try {
        await this.#stash.setManyByEncodedKey(batch, this.#writeOptions);
      } catch (error) {
        this.#error = { error };
        this.#onError(error);
      }
    });
  }

  /** Writes what is left and waits for every write; throws the first write error. */
  async close(): Promise<void> {
    this.#flush();
    await this.#writing;
    if (this.#error) throw this.#error.error;
  }
}
