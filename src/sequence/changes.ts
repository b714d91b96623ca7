import type { Engine } from '../engines/engine.js';

/**
 * Wakes readers waiting on a shard another thread or process generates: on any change to the sequence's sub-stash
 * (the engine's change feed, started on the first wait), or after a pause, whichever comes first. The pause is the
 * fallback that makes progress certain: an engine without a feed, a missed change, or a lease that expires (which is
 * no change at all) are all seen by the next look.
 */
export class ChangeSignal {
  readonly #engine: Engine;
  readonly #waiters = new Set<() => void>();
  #controller: AbortController | undefined;
  #closed = false;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Resolves at the next change, or after `ms`. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    this.#start();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        reject(signal!.reason as unknown);
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      if (signal?.aborted) aborted();
      else signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  close(): void {
    this.#closed = true;
    this.#controller?.abort();
    for (const wake of [...this.#waiters]) wake();
  }

  #start(): void {
    if (this.#controller !== undefined || this.#closed || typeof this.#engine.watch !== 'function') return;
    const controller = new AbortController();
    this.#controller = controller;
    let feed: AsyncIterable<unknown>;
    try {
      feed = this.#engine.watch({ signal: controller.signal });
    } catch {
      return; // no feed here (a readonly stash, say): the pauses alone
    }
    void (async () => {
      try {
        for await (const _ of feed) for (const wake of [...this.#waiters]) wake();
      } catch {
        // The feed ended with an error: waiters fall back on their pauses.
      }
    })();
  }
}
