import type { SequenceStore } from './store.js';
import { frames, StreamingShard } from './streaming-shard.js';

/** How often a generator looks for readers elsewhere, and stores what it produced for them. */
export const PIECE_MS = 4;

/**
 * The generator's side of a shard's items for readers in other threads and processes. Once one wants the shard (it
 * says so with a 'want' record, looked for every PIECE_MS), the generator stores its record (`token`), then pieces of
 * what it has produced: the first at once, the rest at most PIECE_MS apart, one write at a time. With nobody waiting,
 * nothing is written before the shard.
 */
export class PieceSender {
  readonly #store: SequenceStore;
  readonly #shard: number;
  readonly #token: string;
  /** The items produced so far (the generator's list, appended to as it goes). */
  readonly #items: readonly Uint8Array[];
  #wanted: boolean;
  #looking = false;
  #announced: Promise<void> | undefined;
  /** Items passed on in pieces so far, and pieces stored. */
  #passed = 0;
  #sent = 0;
  #sending: Promise<void> | undefined;
  #failed: { error: unknown } | undefined;
  #stopped = false;
  readonly #ticker: NodeJS.Timeout;

  constructor(store: SequenceStore, shard: number, token: string, items: readonly Uint8Array[], wanted: boolean) {
    this.#store = store;
    this.#shard = shard;
    this.#token = token;
    this.#items = items;
    this.#wanted = wanted;
    this.#ticker = setInterval(() => this.#tick(), PIECE_MS);
  }

  /** True once the record is stored or being stored: the pieces must be removed afterwards. */
  get announced(): boolean {
    return this.#announced !== undefined;
  }
  /** True when a reader elsewhere asked for the shard. */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** Stores what was produced since the last piece, if someone wants it and no write is under way. */
  send(): void {
    const ready = this.#items.length;
    if (!this.#wanted || this.#sending !== undefined || this.#passed >= ready || this.#stopped) return;
    const store = this.#store;
    const announced = (this.#announced ??= store.putGen(this.#shard, this.#token));
    const bytes = frames(this.#items.slice(this.#passed, ready));
    this.#passed = ready;
    const piece = this.#sent++;
    this.#sending = announced
      .then(() => store.putPiece(this.#shard, this.#token, piece, bytes))
      .then(
        () => {
          this.#sending = undefined;
        },
        (error: unknown) => {
          this.#sending = undefined;
          this.#failed = { error };
        },
      );
  }

  /** Stops sending and waits for the write under way; throws what a write failed with. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#ticker);
    await this.#sending;
    await this.#announced?.catch(() => {});
    if (this.#failed !== undefined) throw this.#failed.error;
  }

  #tick(): void {
    if (this.#wanted) {
      this.send();
      return;
    }
    if (this.#looking) return;
    this.#looking = true;
    this.#store.wanted(this.#shard).then(
      (yes) => {
        this.#looking = false;
        this.#wanted = yes;
        this.send();
      },
      () => {
        this.#looking = false;
      },
    );
  }
}

/**
 * A reader's side: asks for shard k once (the 'want' record), then passes the pieces the current generator stored
 * into `stream`, parsing them across piece boundaries. A new generator (another token: the first died) starts from
 * its own first piece; items the stream already has are handed to `check` instead of pushed again.
 */
export class PieceFollower {
  readonly #store: SequenceStore;
  readonly #shard: number;
  readonly #stream: StreamingShard;
  readonly #check: (j: number, bytes: Uint8Array) => void;
  #asked = false;
  #token: string | undefined;
  #piece = 0;
  #parsed = new StreamingShard();

  constructor(
    store: SequenceStore,
    shard: number,
    stream: StreamingShard,
    check: (j: number, bytes: Uint8Array) => void,
  ) {
    this.#store = store;
    this.#shard = shard;
    this.#stream = stream;
    this.#check = check;
  }

  /** Reads the pieces stored since the last call; true when there were any. */
  async follow(): Promise<boolean> {
    const store = this.#store;
    const k = this.#shard;
    if (!this.#asked) {
      this.#asked = true;
      await store.putWant(k);
    }
    const current = await store.gen(k);
    if (current === undefined) return false;
    if (current !== this.#token) {
      this.#token = current;
      this.#piece = 0;
      this.#parsed = new StreamingShard();
    }
    let any = false;
    for (
      let bytes = await store.piece(k, current, this.#piece);
      bytes !== undefined;
      bytes = await store.piece(k, current, this.#piece)
    ) {
      this.#piece++;
      any = true;
      for (const j of this.#parsed.append(bytes)) {
        const item = this.#parsed.peek(j)!;
        if (j < this.#stream.available) this.#check(j, item);
        else this.#stream.push(item);
      }
    }
    return any;
  }
}
