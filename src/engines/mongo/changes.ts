import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { RawChange } from '../engine.js';
import { ended, type Feeds, pause, PushedChanges, readyFeed, type WatchOptions } from '../change-feed.js';

/**
 * The mongo engine's change feed, by polling: FerretDB 1.x has no change streams (and no capped collections), so a
 * stash that is watched keeps a change log in a collection beside its own, `<collection>.changes`, one document per
 * change `{ _id: seq, t: type, k: Binary(key) }`, numbered by `<collection>.seq` (`{ _id: 'seq', n }`, $inc'd), and
 * trimmed to the last RING by seq. Watchers register in `<collection>.watchers` (`{ _id, until }`).
 *
 * A write logs only while the stash may be watched, known from a lease as on redis: a writer asks whether any watcher
 * is registered and, on "no", does not log until LEASE_MS after it asked; a watcher counts as ready READY_DELAY_MS
 * after it registered. The log entry follows the write (MongoDB offers no transaction on FerretDB): a writer killed
 * between the two loses that entry, the one gap this design cannot see. Entries may land out of seq order (two
 * writers): a watcher holds back until the missing seq arrives, and counts it `missed` after GAP_MS, as it does for
 * entries trimmed before it read them.
 */
const LEASE_MS = 250;
export const READY_DELAY_MS = 2 * LEASE_MS + 100;
const POLL_MS = 25;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
const GAP_MS = 2_000;
const RING = 10_000;
const TRIM_EVERY = 500;
const READ_LIMIT = 1_000;
const CAPACITY = 10_000;
const SET = 1;
const DELETE = 2;
const CLEAR = 3;
export const MONGO_CHANGE = { set: SET, delete: DELETE, clear: CLEAR } as const;

interface ChangeDocument {
  _id: number;
  t: number;
  k?: Uint8Array;
}
interface SeqDocument {
  _id: string;
  n: number;
}
interface WatcherDocument {
  _id: string;
  until: number;
}

/** The collections of one stash's change feed. */
export class MongoChanges {
  readonly log: Collection<ChangeDocument>;
  readonly seq: Collection<SeqDocument>;
  readonly watchers: Collection<WatcherDocument>;
  #unwatchedUntil = 0;
  /** After a "yes", writes log without asking until then. */
  #watchedUntil = 0;
  #asking: Promise<boolean> | undefined;

  constructor(db: Db, collection: string) {
    this.log = db.collection<ChangeDocument>(`${collection}.changes`);
    this.seq = db.collection<SeqDocument>(`${collection}.seq`);
    this.watchers = db.collection<WatcherDocument>(`${collection}.watchers`);
  }

  /**
   * After a write: logs its changes where the stash may be watched. Undefined (nothing to wait for) while the lease
   * of "unwatched" holds, so an unwatched write pays no extra step.
   */
  logIfWatched(type: number, keys: readonly (Uint8Array | undefined)[]): Promise<void> | undefined {
    if (keys.length === 0 || performance.now() < this.#unwatchedUntil) return undefined;
    return this.#log(type, keys);
  }

  /** Whether the stash may be watched now: for writes that must gather their keys before logging them. */
  async mayBeWatched(): Promise<boolean> {
    const now = performance.now();
    if (now < this.#unwatchedUntil) return false;
    return now < this.#watchedUntil || this.#watched();
  }

  async #log(type: number, keys: readonly (Uint8Array | undefined)[]): Promise<void> {
    if (performance.now() >= this.#watchedUntil && !(await this.#watched())) return;
    const counter = await this.seq.findOneAndUpdate(
      { _id: 'seq' },
      { $inc: { n: keys.length } },
      { upsert: true, returnDocument: 'after' },
    );
    const last = counter!.n;
    const first = last - keys.length + 1;
    await this.log.insertMany(
      keys.map((key, i) => (key ? { _id: first + i, t: type, k: key } : { _id: first + i, t: type })),
      { ordered: false },
    );
    if (Math.floor(last / TRIM_EVERY) !== Math.floor((first - 1) / TRIM_EVERY) && last > RING) {
      await this.log.deleteMany({ _id: { $lte: last - RING } });
    }
  }

  /** Asks whether any watcher is registered (one question at a time); a "no" holds for LEASE_MS from the asking. */
  #watched(): Promise<boolean> {
    const asked = performance.now();
    return (this.#asking ??= this.watchers.findOne({ until: { $gt: Date.now() } }, { projection: { _id: 1 } }).then(
      (found) => {
        this.#asking = undefined;
        if (found === null) this.#unwatchedUntil = asked + LEASE_MS;
        else this.#watchedUntil = asked + LEASE_MS;
        return found !== null;
      },
      (error: unknown) => {
        this.#asking = undefined;
        throw error;
      },
    ));
  }
}

/** One watcher: its registration and the last seq it passed on. */
class MongoWatcher {
  readonly feed: PushedChanges;
  readonly ready: Promise<void>;
  #changes: MongoChanges | undefined;
  readonly #id = randomUUID();
  #last = 0;
  #stopped = false;
  readonly #stopping = new AbortController();

  constructor(changes: () => Promise<MongoChanges>, feeds: Feeds, options: WatchOptions) {
    const source = { stop: () => this.#stop() };
    this.feed = new PushedChanges(CAPACITY, options, feeds.closed, () => feeds.stop(source));
    feeds.add(source);
    this.ready = this.#start(changes, options, feeds.closed);
    this.ready.catch(() => {});
  }

  async #start(changes: () => Promise<MongoChanges>, options: WatchOptions, closed: AbortSignal): Promise<void> {
    const feed = await changes();
    this.#changes = feed;
    if (this.#stopped) return;
    await this.#register(feed);
    if (this.#stopped) {
      await feed.watchers.deleteOne({ _id: this.#id }).catch(() => {});
      return;
    }
    this.#last = (await feed.seq.findOne({ _id: 'seq' }))?.n ?? 0;
    // Every writer's lease of "unwatched" runs out meanwhile.
    await pause(READY_DELAY_MS, this.#stopping.signal, closed);
    void this.#poll(feed, options, closed);
  }

  async #register(feed: MongoChanges): Promise<boolean> {
    const result = await feed.watchers.updateOne(
      { _id: this.#id },
      { $set: { until: Date.now() + STALE_MS } },
      { upsert: true },
    );
    await feed.watchers.deleteMany({ until: { $lt: Date.now() } });
    return result.upsertedCount === 1;
  }

  async #poll(feed: MongoChanges, options: WatchOptions, closed: AbortSignal): Promise<void> {
    let beatAt = Date.now() + HEARTBEAT_MS;
    let gapSince: number | undefined;
    const stop = this.#stopping.signal;
    while (!this.#stopped && !ended(options.signal, closed)) {
      try {
        if (Date.now() >= beatAt) {
          beatAt = Date.now() + HEARTBEAT_MS;
          // Our registration had expired (a stall past STALE_MS): writes meanwhile may not have been logged.
          if (await this.#register(feed)) this.feed.push({ type: 'missed' });
        }
        const documents = await feed.log
          .find({ _id: { $gt: this.#last } })
          .sort({ _id: 1 })
          .limit(READ_LIMIT)
          .toArray();
        for (const document of documents) {
          if (document._id > this.#last + 1) {
            gapSince ??= Date.now();
            if (Date.now() - gapSince < GAP_MS) break;
            this.feed.push({ type: 'missed', count: document._id - this.#last - 1 });
          }
          gapSince = undefined;
          this.#last = document._id;
          this.feed.push(
            document.t === CLEAR
              ? { type: 'clear' }
              : {
                  type: document.t === SET ? 'set' : 'delete',
                  // A copy: the driver's bytes are a view into the whole reply.
                  key: Buffer.copyBytesFrom(document.k!),
                },
          );
        }
        if (documents.length === READ_LIMIT && gapSince === undefined) continue;
      } catch {
        /* the server is away for now: poll again */
      }
      await pause(POLL_MS, undefined, stop);
    }
  }

  async #stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    await this.#changes?.watchers.deleteOne({ _id: this.#id }).catch(() => {});
  }
}

/** The engine's `watch`: an iterable feed with `ready`, which resolves once every later write is sure to be seen. */
export function watchMongo(
  changes: () => Promise<MongoChanges>,
  feeds: Feeds,
  options: WatchOptions,
): AsyncIterable<RawChange> & { readonly ready: Promise<void> } {
  const watcher = new MongoWatcher(changes, feeds, options);
  return readyFeed(watcher.feed, watcher.ready);
}
