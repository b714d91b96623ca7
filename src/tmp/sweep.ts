/**
 * Removes temporary stashes whose process ended without disposing of them (a crash, a kill, an exit that skipped
 * disposal). A stash runs the sweep of its root in the background when it is constructed (and `tmp()` does), at most
 * once per root and server per process; it costs one readdir when the root has no registry.
 *
 * What a sweep may do is limited to what the sweeping stash would touch anyway: it removes the folders of dead
 * temporary stashes on local engines, and clears those on a server only when the sweeping stash uses the same engine
 * and URL. So opening an lmdb stash never connects to a Redis that a crashed temporary stash once used; the next
 * stash opened on that Redis in that root clears it. Registry files hold URLs redacted (no password): a server entry
 * matches when its redacted URL is the sweeping stash's, and is cleared with the sweeping stash's own URL.
 */
import type { HashStashOptions } from '../options.js';
import { redactUrl } from '../server-url.js';
import { isGone } from './process-identity.js';
import { readEntries, removeEntry, removeTmpFolder, type TmpEntry } from './registry.js';

/** What a sweep runs for: a root, and the server engine and URL it may clear on (none for local engines). */
export interface SweepScope {
  readonly root: string;
  readonly engine: string;
  /** With its credentials: the sweep connects with it. */
  readonly url: string | undefined;
}

/** Opens a stash from options (the facade's constructor, given by the caller, so this module does not import it). */
export type OpenStash = (options: HashStashOptions) => { clear(): Promise<void>; close(): Promise<void> };

const SERVER_ENGINES = new Set(['redis', 'mongo']);
const started = new Map<string, Promise<void>>();

function onSameServer(entry: TmpEntry, scope: SweepScope): boolean {
  return entry.stashes.every(
    ({ options, clearThroughEngine }) =>
      !clearThroughEngine || (options.engine === scope.engine && options.url === shownUrl(scope.url)),
  );
}

const shownUrl = (url: string | undefined) => (url === undefined ? undefined : redactUrl(url));

async function removeAbandoned(entry: TmpEntry, scope: SweepScope, open: OpenStash): Promise<void> {
  for (const { options, clearThroughEngine } of entry.stashes) {
    if (!clearThroughEngine) continue;
    // The recorded fields only: whatever else a registry file holds is not passed on to a stash. The URL is the
    // sweeping stash's own (onSameServer matched it): the recorded one has no password.
    const { root, name, engine, serializer, compress, b64, appendMode } = options;
    const { url } = scope;
    const stash = open({
      root,
      name,
      engine: engine,
      serializer: serializer,
      compress: compress as HashStashOptions['compress'],
      b64,
      appendMode,
      url,
    });
    try {
      await stash.clear();
    } finally {
      await stash.close();
    }
  }
  await removeTmpFolder(scope.root, entry.id);
  await removeEntry(scope.root, entry.id);
}

/** One sweep of a root; an entry that cannot be removed now (its server is down) stays for a later sweep. */
export async function sweepAbandoned(scope: SweepScope, open: OpenStash): Promise<number> {
  let removed = 0;
  for (const entry of await readEntries(scope.root)) {
    if (!isGone(entry.owner) || !onSameServer(entry, scope)) continue;
    try {
      await removeAbandoned(entry, scope, open);
      removed++;
    } catch {
      // Left for the next sweep: the entry is still there.
    }
  }
  return removed;
}

/** Starts the sweep for this scope unless this process started it already; never rejects. */
export function sweepOnce(scope: SweepScope, open: OpenStash): Promise<void> {
  const server = SERVER_ENGINES.has(scope.engine) ? `${scope.engine}\0${scope.url ?? ''}` : '';
  const id = `${scope.root}\0${server}`;
  let sweep = started.get(id);
  if (!sweep) {
    sweep = sweepAbandoned(scope, open).then(
      () => {},
      () => {},
    );
    started.set(id, sweep);
  }
  return sweep;
}

/** Resolves when every sweep started so far in this process has finished. */
export async function sweepsSettled(): Promise<void> {
  await Promise.all(started.values());
}
