/**
 * Temporary stashes: `stash.tmp()` opens a stash with the parent's settings under `<root>/tmp/<pid>-<random>`, given
 * a lifetime ({@link TmpLifetime}): disposing of it (`await using`, `remove()`) removes it whole: its keys on a server,
 * its folder on disk, and those of the sub-stashes made from it (`sub()`, and so `stashed()`). A registry file written
 * before first use lets the next process that opens the root remove it when this process dies first (registry.ts,
 * sweep.ts). This module sees stashes only through structural types, and opens them through the function it is given.
 */
import { ConfigError, ReadOnlyError, UnsupportedError } from '../errors.js';
import type { EngineCapabilities } from '../engines/engine.js';
import { engineNames, isEngineName } from '../engines/index.js';
import type { HashStashOptions } from '../options.js';
import { currentProcess } from './process-identity.js';
import {
  newTmpId,
  removeEntry,
  removeTmpFolder,
  TMP_NAME,
  writeEntry,
  type RecordedOptions,
  type TmpEntry,
} from './registry.js';
import { sweepOnce, type OpenStash } from './sweep.js';

/** A stash as a temporary stash's lifetime sees it: the temporary stash itself or a sub-stash of it (a HashStash fits). */
export interface TmpMember {
  readonly path: string;
  readonly engine: { readonly name: string; readonly capabilities: EngineCapabilities };
  toJSON(): RecordedOptions & {
    readonly trustCode: boolean;
    readonly readonly: boolean;
    readonly ttl?: number | undefined;
    readonly clock?: (() => number) | undefined;
  };
  clear(): Promise<void>;
  close(): Promise<void>;
  /** The stash as messages name it. */
  toString(): string;
}

/** What `tmp()` adds to the stash it opens. */
export interface TmpHandle {
  /** `<pid>-<random>`: the stash is named `tmp/<id>` in its root. */
  readonly tmpId: string;
  /**
   * Clears and closes it and its sub-stashes, removes its folder and its registry file. Safe to call again.
   * When a server cannot be reached the error is thrown and the registry file stays, for a later process to retry.
   */
  remove(): Promise<void>;
}

/** Local files are removed with their folder; anything else (a server, the memory engine) is cleared through the engine. */
const clearsThroughEngine = (stash: TmpMember) =>
  !(stash.engine.capabilities.persistent && stash.engine.capabilities.sync);

/** What the registry records of a stash: its options, with the server URL redacted as `toJSON()` shows it. */
function recorded(stash: TmpMember) {
  const { root, name, engine, serializer, compress, b64, appendMode, url } = stash.toJSON();
  const options: RecordedOptions = { root, name, engine, serializer, compress, b64, appendMode, url };
  return { options, clearThroughEngine: clearsThroughEngine(stash) };
}

/**
 * The lifetime of one temporary stash: its id, its registry entry, the sub-stashes made from it, and its removal,
 * which the stash's `remove()` and `[Symbol.asyncDispose]` run (`close()` alone keeps the data).
 */
export class TmpLifetime {
  readonly id = newTmpId();
  readonly #root: string;
  readonly #createdAt = new Date().toISOString();
  /** The temporary stash first, then its sub-stashes. */
  readonly #members: TmpMember[] = [];
  #removal: Promise<void> | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  /** The stash this lifetime is for: registered now, before its first use; given `tmpId` and `remove()`. */
  attach<S extends TmpMember>(stash: S): S & TmpHandle {
    this.#members.unshift(stash);
    this.#register();
    return Object.defineProperties(stash, {
      tmpId: { value: this.id, enumerable: true },
      remove: { value: () => this.remove() },
    }) as S & TmpHandle;
  }

  /** A sub-stash made from the temporary stash: removed with it. */
  adopt(sub: TmpMember): void {
    if (this.#members.some((known) => known.path === sub.path && known.engine.name === sub.engine.name)) return;
    this.#members.push(sub);
    this.#register();
  }

  remove(): Promise<void> {
    this.#removal ??= this.#remove();
    return this.#removal;
  }

  /** Written before first use, rewritten when a sub-stash joins; not for the memory engine, which a crash empties anyway. */
  #register(): void {
    const [tmp] = this.#members;
    if (!tmp?.engine.capabilities.persistent) return;
    const entry: TmpEntry = {
      id: this.id,
      owner: currentProcess(),
      createdAt: this.#createdAt,
      stashes: this.#members.map(recorded),
    };
    writeEntry(this.#root, entry);
  }

  async #remove(): Promise<void> {
    let failure: { error: unknown } | undefined;
    const [tmp, ...subs] = this.#members;
    for (const stash of [...subs, tmp]) {
      try {
        if (clearsThroughEngine(stash)) await stash.clear();
      } catch (error) {
        failure ??= { error };
      }
      try {
        await stash.close();
      } catch (error) {
        failure ??= { error };
      }
    }
    await removeTmpFolder(this.#root, this.id);
    if (failure) {
      this.#removal = undefined; // a later remove() may try again
      throw failure.error;
    }
    await removeEntry(this.#root, this.id);
  }
}

/**
 * What `stash.tmp()` opens: the options of a writable stash with `parent`'s settings in a fresh location of its root
 * (and its server `url`, which `parent.toJSON()` shows redacted),
 * and its lifetime (to `attach` to the stash made from them). Starts the sweep of the root's abandoned ones. A
 * readonly parent refuses: the temporary stash, its registry file and the sweep would all write in a root that the
 * user asked this stash never to change (and that is often read-only storage).
 */
export function planTmp(
  parent: TmpMember,
  url: string | undefined,
  open: OpenStash,
): { options: HashStashOptions; lifetime: TmpLifetime } {
  const { root, engine, serializer, compress, b64, appendMode, trustCode, readonly, ttl, clock } = parent.toJSON();
  if (readonly) {
    throw new ReadOnlyError(
      `cannot open a temporary stash: ${String(parent)} was opened with readonly: true, and a temporary stash is written in its root; ` +
        `call tmp() on a writable stash (another root, or engine: 'memory')`,
    );
  }
  if (!isEngineName(engine)) {
    throw new UnsupportedError(
      `stash.tmp() needs an engine by name (${engineNames().join(', ')}, or one added with registerEngine); ` +
        `this stash runs on an engine object '${engine as string}'`,
    );
  }
  void sweepOnce({ root, engine, url }, open);
  const lifetime = new TmpLifetime(root);
  const options: HashStashOptions = {
    root,
    name: `${TMP_NAME}/${lifetime.id}`,
    engine,
    serializer: serializer,
    compress: compress as HashStashOptions['compress'],
    b64,
    appendMode,
    url,
    trustCode,
    ttl,
    clock,
  };
  return { options, lifetime };
}

/** `stash.withTmp(fn)`: `fn` gets a temporary stash, removed when `fn` settles, whether it returned or threw. */
export async function withTmp<T extends TmpHandle, R>(
  open: () => T,
  fn: (tmp: T) => R | Promise<R>,
): Promise<Awaited<R>> {
  if (typeof fn !== 'function') throw new ConfigError(`stash.withTmp(fn) needs a function, got ${typeof fn}`);
  const tmp = open();
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
