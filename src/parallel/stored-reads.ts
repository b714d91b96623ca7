import type { MapRunStore } from './host.js';

/** What {@link StoredReads.read} gives for a key nothing is stored under. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * Reads back results someone else stored (a queue's workers): the reads asked for in one turn go in one `getMany`.
 * getMany cannot tell a stored undefined from an absent key; `has` tells them apart for the few that came back
 * undefined.
 */
export class StoredReads {
  readonly #runs: MapRunStore;
  #waiting: {
    readonly args: unknown[];
    readonly done: (value: unknown) => void;
    readonly fail: (error: unknown) => void;
  }[] = [];

  constructor(runs: MapRunStore) {
    this.#runs = runs;
  }

  /** The value stored under the call's arguments, or ABSENT. */
  read(args: unknown[]): Promise<unknown> {
    return new Promise((done, fail) => {
      this.#waiting.push({ args, done, fail });
      if (this.#waiting.length === 1) setImmediate(() => void this.#readBatch());
    });
  }

  async #readBatch(): Promise<void> {
    const reads = this.#waiting;
    this.#waiting = [];
    const runs = this.#runs;
    try {
      const values = await runs.getMany(reads.map((read) => read.args));
      const stored = await Promise.all(
        values.map((value, i) => (value === undefined ? runs.has(reads[i].args) : Promise.resolve(true))),
      );
      reads.forEach((read, i) => read.done(stored[i] ? values[i] : ABSENT));
    } catch (error) {
      for (const read of reads) read.fail(error);
    }
  }
}
