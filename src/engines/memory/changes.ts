import { BroadcastChannel } from 'node:worker_threads';
import type { RawChange } from '../engine.js';
import { type Feeds, PushedChanges, type WatchOptions } from '../change-feed.js';
import { CONTROL } from './layout.js';
import type { Table } from './table.js';

/**
 * The memory engine's change feed, across the worker threads of a process. The table's control block counts its
 * watchers (WATCHERS) and numbers its changes (CHANGE_SEQ); a write that finds a watcher, under the table's lock it
 * already holds, takes the next number and posts the change on a BroadcastChannel named after the stash. An
 * unwatched write pays one Atomics.load. A watcher registers under the same lock and reads the seq there, so every
 * write that takes the lock after it is posted. Posts from different threads may arrive out of order: a watcher
 * passes changes on in seq order, and one that has not arrived GAP_MS after a later one did (its thread was terminated
 * between taking the number and posting) is `missed`.
 */
const CAPACITY = 10_000;
const GAP_MS = 1_000;
const SET = 1;
const DELETE = 2;
const CLEAR = 3;
export const MEMORY_CHANGE = { set: SET, delete: DELETE, clear: CLEAR } as const;

interface Message {
  readonly s: number;
  readonly t: number;
  readonly k: Uint8Array | undefined;
}

const channelName = (path: string) => `hashstash:memory-changes:${path}`;

/** A store's side: posts its changes while the table has watchers. */
export class ChangePoster {
  readonly #path: string;
  #channel: BroadcastChannel | undefined;
  constructor(path: string) {
    this.#path = path;
  }

  /** Under the table's lock, after the change: posts it when someone watches. */
  log(table: Table, type: number, key: Uint8Array | undefined): void {
    if (table.readControl(CONTROL.WATCHERS) === 0) return;
    const [ints, seqAt] = table.control(CONTROL.CHANGE_SEQ);
    const seq = Atomics.add(ints, seqAt, 1) + 1;
    if (!this.#channel) {
      this.#channel = new BroadcastChannel(channelName(this.#path));
      (this.#channel as unknown as { unref(): void }).unref();
    }
    this.#channel.postMessage({
      s: seq,
      t: type,
      k: key === undefined ? undefined : Uint8Array.from(key),
    } satisfies Message);
  }

  close(): void {
    this.#channel?.close();
    this.#channel = undefined;
  }
}

/** One watcher: its channel, its registration in the table, and the changes it holds back until their turn. */
class MemoryWatcher {
  readonly feed: PushedChanges;
  readonly #table: Table;
  readonly #channel: BroadcastChannel;
  #last: number;
  readonly #early = new Map<number, Message>();
  #gapTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(path: string, table: Table, feeds: Feeds, options: WatchOptions) {
    this.#table = table;
    const source = { stop: () => this.#stop() };
    this.feed = new PushedChanges(CAPACITY, options, feeds.closed, () => feeds.stop(source));
    this.#channel = new BroadcastChannel(channelName(path));
    this.#channel.onmessage = (event: unknown) => this.#receive((event as { data: Message }).data);
    this.#last = table.locked(() => {
      const [ints, watchers] = table.control(CONTROL.WATCHERS);
      Atomics.add(ints, watchers, 1);
      return Atomics.load(...table.control(CONTROL.CHANGE_SEQ));
    });
    feeds.add(source);
  }

  #receive(message: Message): void {
    if (message.s <= this.#last) return;
    this.#early.set(message.s, message);
    this.#drain();
  }

  #drain(): void {
    for (let next = this.#early.get(this.#last + 1); next; next = this.#early.get(this.#last + 1)) {
      this.#early.delete(next.s);
      this.#last = next.s;
      this.feed.push(next.t === CLEAR ? { type: 'clear' } : { type: next.t === SET ? 'set' : 'delete', key: next.k! });
    }
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    if (this.#early.size > 0) {
      this.#gapTimer = setTimeout(() => this.#skipGap(), GAP_MS);
      this.#gapTimer.unref();
    }
  }

  /** The change after the last passed on never came: count it missed and go on from the next that did. */
  #skipGap(): void {
    const next = Math.min(...this.#early.keys());
    this.feed.push({ type: 'missed', count: next - this.#last - 1 });
    this.#last = next - 1;
    this.#drain();
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#gapTimer);
    this.#channel.close();
    const table = this.#table;
    table.locked(() => {
      const [ints, watchers] = table.control(CONTROL.WATCHERS);
      Atomics.sub(ints, watchers, 1);
    });
  }
}

/** The engine's `watch`: registered when it returns. */
export function watchMemory(path: string, table: Table, feeds: Feeds, options: WatchOptions): AsyncIterable<RawChange> {
  return new MemoryWatcher(path, table, feeds, options).feed;
}
