/**
 * Temporary stashes: `stash.tmp()` opens a stash with the parent's settings under `<root>/tmp/<pid>-<random>`, and
 * disposing of it (`await using`, `remove()`) removes it whole: its keys on a server, its folder on disk, and those of
 * the sub-stashes made from it (`sub()`, and so `stashed()`). A registry file written before first use lets the next
 * process that opens the root remove it when this process dies first (registry.ts, sweep.ts).
 */
import { ReadOnlyError, UnsupportedError } from '../errors.js';
import type { Engine } from '../engines/engine.js';
import { ENGINE_NAMES, type EngineName, type HashStashOptions } from '../options.js';
import type { HashStash } from '../stash.js';
import { currentProcess } from './process-identity.js';
import { newTmpId, removeEntry, removeTmpFolder, TMP_NAME, writeEntry, type RecordedOptions, type RecordedStash, type TmpEntry } from './registry.js';
import { sweepOnce } from './sweep.js';

/** A stash that is removed, data and all, when disposed. */
export interface TemporaryHashStash<K = any, V = any> extends HashStash<K, V> {
  /** `<pid>-<random>`: the stash is named `tmp/<id>` in its root. */
  readonly tmpId: string;
  /**
   * Clears and closes it and its sub-stashes, removes its folder and its registry file. Safe to call again.
   * When a server cannot be reached the error is thrown and the registry file stays, for a later process to retry.
   */
  remove(): Promise<void>;
  /** The same as `remove()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

type StashClass = typeof HashStash;
type TemporaryClass = new (options: HashStashOptions, tmpId: string) => TemporaryHashStash;

/** Local files are removed with their folder; anything else (a server, the memory engine) is cleared through the engine. */
const clearsThroughEngine = (engine: Engine) => !(engine.capabilities.persistent && engine.capabilities.sync);

function recorded(stash: HashStash): RecordedStash {
  const { root, name, engine, serializer, compress, b64, appendMode, url } = stash.toJSON();
  const options: RecordedOptions = { root, name, engine, serializer, compress, b64, appendMode, url };
  return { options, clearThroughEngine: clearsThroughEngine(stash.engine) };
}

// Built once per facade class at first use; a class of this module's own would import stash.ts, which imports this.
const classes = new WeakMap<StashClass, TemporaryClass>();

function temporaryClass(Base: StashClass): TemporaryClass {
  let found = classes.get(Base);
  if (found) return found;
  class Temporary extends Base implements TemporaryHashStash {
    readonly tmpId: string;
    readonly #subs: HashStash[] = [];
    readonly #createdAt = new Date().toISOString();
    #removal: Promise<void> | undefined;

    constructor(options: HashStashOptions, tmpId: string) {
      super(options);
      this.tmpId = tmpId;
      this.#register();
    }

    override sub<SK = any, SV = any>(subName: string, overrides: Partial<HashStashOptions> = {}): HashStash<SK, SV> {
      const sub = super.sub<SK, SV>(subName, overrides);
      if (!this.#subs.some((known) => known.path === sub.path && known.engine.name === sub.engine.name)) {
        this.#subs.push(sub);
        this.#register();
      }
      return sub;
    }

    remove(): Promise<void> {
      this.#removal ??= this.#remove();
      return this.#removal;
    }

    override async [Symbol.asyncDispose](): Promise<void> {
      await this.remove();
    }

    /** Written before first use, rewritten when a sub-stash joins; not for the memory engine, which a crash empties anyway. */
    #register(): void {
      if (!this.engine.capabilities.persistent) return;
      const entry: TmpEntry = { id: this.tmpId, owner: currentProcess(), createdAt: this.#createdAt, stashes: [this, ...this.#subs].map(recorded) };
      writeEntry(this.root, entry);
    }

    async #remove(): Promise<void> {
      let failure: { error: unknown } | undefined;
      for (const stash of [...this.#subs, this]) {
        try {
          if (clearsThroughEngine(stash.engine)) await stash.clear();
        } catch (error) {
          failure ??= { error };
        }
        try {
          await stash.close();
        } catch (error) {
          failure ??= { error };
        }
      }
      await removeTmpFolder(this.root, this.tmpId);
      if (failure) {
        this.#removal = undefined; // a later remove() may try again
        throw failure.error;
      }
      await removeEntry(this.root, this.tmpId);
    }
  }
  classes.set(Base, Temporary);
  return Temporary;
}

/**
 * `stash.tmp()`: a writable stash with `parent`'s settings in a fresh location in its root. A readonly parent refuses:
 * the temporary stash, its registry file and the sweep of abandoned ones would all write in a root that the user
 * asked this stash never to change (and that is often read-only storage).
 */
export function openTmpStash<K, V>(parent: HashStash, Base: StashClass): TemporaryHashStash<K, V> {
  const { root, engine, serializer, compress, b64, appendMode, url, trustCode, readonly } = parent.toJSON();
  if (readonly) {
    throw new ReadOnlyError(
      `cannot open a temporary stash: ${parent} was opened with readonly: true, and a temporary stash is written in its root; ` +
      `call tmp() on a writable stash (another root, or engine: 'memory')`,
    );
  }
  if (!(ENGINE_NAMES as readonly string[]).includes(engine)) {
    throw new UnsupportedError(`stash.tmp() needs a named engine (${ENGINE_NAMES.join(', ')}); this stash runs on an engine object '${engine}'`);
  }
  sweepOnce({ root, engine, url }, Base);
  const Temporary = temporaryClass(Base);
  const id = newTmpId();
  return new Temporary({
    root, name: `${TMP_NAME}/${id}`, engine: engine as EngineName, serializer, compress, b64, appendMode, url, trustCode,
  }, id) as TemporaryHashStash<K, V>;
}

/** `stash.withTmp(fn)`: `fn` gets a temporary stash, removed when `fn` settles, whether it returned or threw. */
export async function withTmpStash<K, V, R>(parent: HashStash, Base: StashClass, fn: (tmp: TemporaryHashStash<K, V>) => R | Promise<R>): Promise<Awaited<R>> {
  if (typeof fn !== 'function') throw new TypeError(`stash.withTmp(fn) needs a function, got ${typeof fn}`);
  const tmp = openTmpStash<K, V>(parent, Base);
  let result: Awaited<R>;
  try {
    result = await fn(tmp);
  } catch (error) {
    // fn's error is the one to report; if removal fails too, the registry file stays and a later sweep retries.
    await tmp.remove().catch(() => {});
    throw error;
  }
  await tmp.remove();
  return result;
}
