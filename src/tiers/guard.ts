import { keyText } from './key-text.js';
/**
 * Keeps a stale value out of the upper tiers. A read that missed them reads a lower tier and then copies what it found
 * up; a write, delete or change seen on the feed between the two would make that copy stale for good. Each such
 * operation begins with a token and copies up only when nothing touched its key since: touches are kept only while
 * some operation is in flight, so a quiet stash keeps nothing.
 */
export class InvalidationGuard {
  #epoch = 0;
  #inFlight = 0;
  /** The epoch of each key's last touch, while operations are in flight. */
  readonly #touched = new Map<string, number>();
  /** The epoch of the last touch of every key (a clear, or changes missed). */
  #touchedAll = -1;

  /** Starts an operation that may copy up: its token. Pair with {@link end}. */
  begin(): number {
    this.#inFlight++;
    return this.#epoch;
  }

  end(): void {
    if (--this.#inFlight === 0 && this.#touched.size > 0) this.#touched.clear();
  }

  /** Whether `key` may be copied up by the operation holding `token`: nothing touched it since it began. */
  untouched(key: Uint8Array, token: number): boolean {
    if (this.#touchedAll >= token) return false;
    if (this.#touched.size === 0) return true;
    const at = this.#touched.get(keyText(key));
    return at === undefined || at < token;
  }

  /** `key` changed: no operation in flight may copy up what it read of it. */
  touch(key: Uint8Array): void {
    if (this.#inFlight > 0) this.#touched.set(keyText(key), this.#epoch++);
    else this.#epoch++;
  }

  /** Every key changed (a clear, or changes missed). */
  touchAll(): void {
    this.#touchedAll = this.#epoch++;
  }
}
