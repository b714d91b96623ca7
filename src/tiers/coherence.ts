import type { Engine, RawChange } from '../engines/engine.js';
import { UnsupportedError } from '../errors.js';

/** Waits `ms`, or less when `signal` aborts; never rejects, holds no process open. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms).unref();
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** How long a broken change feed waits before it watches again. */
const RETRY_MS = 1_000;

/**
 * Follows the last tier's change feed for a tiered stash: each change any thread or process makes reaches `apply`,
 * which drops the upper tiers' copies. `ready` is false until the feed is sure to see every change made from then on
 * (redis: after its registration settles), and again while the feed is broken; the chain copies nothing up meanwhile.
 * A broken feed is watched again after a second, and once that is ready reports `missed` (everything may have
 * changed while it was broken), so the upper tiers keep serving hits through an outage of the last tier.
 */
export class Coherence {
  ready = false;
  readonly #last: Engine;
  readonly #apply: (change: RawChange) => void;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #whenReady: Promise<void> | undefined;

  constructor(last: Engine, apply: (change: RawChange) => void) {
    if (typeof last.watch !== 'function')
      throw new UnsupportedError(
        `tiers with coherence 'changes' follow the last tier's change feed, and the ${last.name} engine has none: pass coherence: 'none' if its data never changes`,
      );
    this.#last = last;
    this.#apply = apply;
  }

  /** Starts watching (once); resolves when ready. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#whenReady!;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      let settle!: () => void;
      this.#whenReady = new Promise((resolve) => (settle = resolve));
      try {
        const feed = this.#last.watch!({ signal });
        void ((feed as { ready?: Promise<void> }).ready ?? Promise.resolve()).then(
          () => {
            if (signal.aborted) return settle();
            // After a break, what changed meanwhile is unknown: the upper tiers start again from nothing.
            if (attempt > 0) this.#apply({ type: 'missed' });
            this.ready = true;
            settle();
          },
          () => settle(),
        );
        for await (const change of feed) this.#apply(change);
      } catch {
        // The feed broke (a server gone). The upper tiers keep serving what they hold, but copy nothing up until
        // the feed is back and they are emptied.
      }
      settle();
      this.ready = false;
      if (signal.aborted) return;
      await pause(RETRY_MS, signal);
    }
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.ready = false;
    await this.#loop;
  }
}
