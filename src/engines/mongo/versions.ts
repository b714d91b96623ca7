import type { Collection } from 'mongodb';
import type { RawVersion } from '../engine.js';
import type { StoredDocument } from './naming.js';
import { versionTimestamp } from '../version-stamp.js';
import { expiryFields } from './expiry.js';

/**
 * Append mode on mongo: versions are documents of their own in a second collection, `<stash collection>.versions`:
 *   { _id: <key id>, n }                               the key's counter: the newest version number taken, as a hint
 *   { _id: <key id> NUL <version, 10 digits>, t, v }   one per version: timestamp in ms and the blob
 * (`<key id>` is the entry's `_id`, which never holds a NUL; string `_id`s are the ones FerretDB finds by index.)
 * An append reads the version the counter names and inserts the next number, stamped no earlier than that version.
 * The insert is the claim: the unique `_id` keeps two writers from sharing a number, and a writer that finds its
 * number taken reads the version that took it and tries the next. So every version is inserted by a writer that read
 * the one before it, and numbers and timestamps go up together, on MongoDB and on FerretDB 1.x alike (whose updates
 * read and write in two steps, so no counter update, `$inc` included, is atomic there). The counter then moves up to
 * the new number; a counter left behind by a lost update only costs the next append a step.
 * The append then sets the entry's value only if the entry holds an older version (`n` below its own), so the entry
 * ends up with the latest version whichever writer finishes last. A delete removes the versions, then the counter, then
 * the entry; an append racing it may write the entry back with a number whose version is gone, which the next append
 * overwrites (replaceStale), and may leave versions behind with no counter, or a counter naming a version that is
 * gone: the next append then numbers past the highest version there is (newestVersion).
 */
export const VERSIONS_SUFFIX = '.versions';
const DUPLICATE_KEY = 11000;
const ATTEMPTS = 5;
/** Numbers an append may find taken (by racing writers) before it gives up. */
const NUMBER_ATTEMPTS = 1000;
const PAGE = 256;

interface CounterDocument {
  _id: string;
  n: number;
}
export interface VersionDocument {
  _id: string;
  n?: number;
  t?: number;
  v?: Uint8Array;
}
/** A version number and its timestamp; number 0 (no timestamp) stands for "no version yet". */
interface Stamped {
  n: number;
  t: number | undefined;
}

const isDuplicateKey = (error: unknown) => (error as { code?: unknown })?.code === DUPLICATE_KEY;
const versionId = (id: string, version: number) => `${id}\u0000${String(version).padStart(10, '0')}`;

/** Adds the next version of the entry `document` (its `_id`, optional `k`, and the blob `v`); the version number. */
export async function appendVersion(
  entries: Collection<StoredDocument>,
  versions: Collection<VersionDocument>,
  document: StoredDocument,
  now: () => number = Date.now,
): Promise<number> {
  const id = document._id;
  const version = await inTurn(versions, id, () => insertNext(versions, id, document.v));
  // FerretDB's conditional update is not atomic either: a writer that finds a newer version after its own update
  // writes that one again, so the last word is always the newest version's.
  let current = { version, value: document.v };
  for (;;) {
    await setCurrent(entries, versions, document, current.version, current.value, now);
    const newer = await newestAfter(versions, id, current.version);
    if (!newer) return version;
    current = newer;
  }
}

/**
 * The appends of this process to one key, by collection and key id: each takes its number after the one before has,
 * since appends racing each other for a number would cost each a try per append ahead of it (claimNext).
 */
const numbering = new Map<string, Promise<unknown>>();

function inTurn<T>(versions: Collection<VersionDocument>, id: string, work: () => Promise<T>): Promise<T> {
  const name = `${versions.namespace}\u0000${id}`;
  const result = (numbering.get(name) ?? Promise.resolve()).then(work);
  const settled = result.then(
    () => {},
    () => {},
  );
  numbering.set(name, settled);
  void settled.then(() => {
    if (numbering.get(name) === settled) numbering.delete(name);
  });
  return result;
}

/**
 * Inserts `value` as the version after the newest, stamped no earlier than it; the version number. Then moves the
 * counter up to it (two first appends of one key both insert the counter: the loser's duplicate key error is tried again).
 */
async function insertNext(versions: Collection<VersionDocument>, id: string, value: Uint8Array): Promise<number> {
  const version = await claimNext(versions, id, value);
  for (let attempt = 1; ; attempt++) {
    try {
      await versions.updateOne({ _id: id }, { $max: { n: version } }, { upsert: true });
      return version;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isDuplicateKey(error)) throw error;
    }
  }
}

async function claimNext(versions: Collection<VersionDocument>, id: string, value: Uint8Array): Promise<number> {
  let newest = await newestVersion(versions, id);
  for (let attempt = 1; ; attempt++) {
    const version = newest.n + 1;
    try {
      await versions.insertOne({ _id: versionId(id, version), t: versionTimestamp(newest.t), v: value });
      return version;
    } catch (error) {
      if (attempt >= NUMBER_ATTEMPTS || !isDuplicateKey(error)) throw error;
    }
    // Taken by a racing writer: the next try comes after that version, or after the highest there is if a delete took it.
    newest = (await versionAt(versions, id, version)) ?? (await highestVersion(versions, id));
  }
}

/**
 * The version the counter names. With no counter (a key's first append, or a delete took it) or one naming no
 * version (a delete racing an append, or an insert that failed after an older hashstash counted its number), the
 * highest version there is, and such a counter is set to it.
 */
async function newestVersion(versions: Collection<VersionDocument>, id: string): Promise<Stamped> {
  const counter = (await versions.findOne({ _id: id }, { projection: { n: 1 } })) as CounterDocument | null;
  const named = counter ? await versionAt(versions, id, counter.n) : undefined;
  if (named) return named;
  const highest = await highestVersion(versions, id);
  if (counter) await versions.updateOne({ _id: id, n: counter.n }, { $set: { n: highest.n } });
  return highest;
}

async function versionAt(
  versions: Collection<VersionDocument>,
  id: string,
  version: number,
): Promise<Stamped | undefined> {
  const document = await versions.findOne({ _id: versionId(id, version) }, { projection: { t: 1 } });
  return document ? { n: version, t: document.t } : undefined;
}

/** By a range query, which FerretDB answers by a scan: only for a counter that is missing or wrong. */
async function highestVersion(versions: Collection<VersionDocument>, id: string): Promise<Stamped> {
  const [highest] = await versions
    .find({ _id: { $gt: `${id}\u0000`, $lt: `${id}\u0001` } }, { projection: { t: 1 } })
    .sort({ _id: -1 })
    .limit(1)
    .toArray();
  return highest ? { n: Number(highest._id.slice(id.length + 1)), t: highest.t } : { n: 0, t: undefined };
}

async function setCurrent(
  entries: Collection<StoredDocument>,
  versions: Collection<VersionDocument>,
  document: StoredDocument,
  version: number,
  value: Uint8Array,
  now: () => number,
): Promise<void> {
  const current = document.k ? { k: document.k, v: value, n: version } : { v: value, n: version };
  // The value's expiry fields (expiry.ts) go with it; a value without expiry removes those of the one before.
  const expiry = expiryFields(value, now);
  if (expiry) Object.assign(current, expiry);
  const unset = expiry ? {} : { $unset: { expiresAt: '', purgeAt: '' } };
  const olderOrPlain = { _id: document._id, $or: [{ n: { $lt: version } }, { n: { $exists: false } }] };
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await entries.updateOne(olderOrPlain, { $set: current, ...unset } as never, { upsert: true });
      return;
    } catch (error) {
      // The entry exists with a newer version (nothing matched, and the upsert met its _id), or a first append of
      // the key raced ours to insert it: one more try tells the two apart.
      if (!isDuplicateKey(error)) throw error;
    }
  }
  await replaceStale(entries, versions, document._id, version, current, unset);
}

/**
 * The entry says it holds version `n` at or past ours. That is true unless an append racing a delete wrote the
 * entry back after its versions went (the counter then starts again from 1): an `n` with no version document, or
 * our own number (each number is inserted once), is such a leftover, and is overwritten.
 */
async function replaceStale(
  entries: Collection<StoredDocument>,
  versions: Collection<VersionDocument>,
  id: string,
  version: number,
  current: Partial<StoredDocument>,
  unset: object,
): Promise<void> {
  const entry = (await entries.findOne({ _id: id }, { projection: { _id: 0, n: 1 } })) as { n?: unknown } | null;
  const n = entry?.n;
  if (typeof n !== 'number' || n < version) return;
  if (n !== version && (await versions.findOne({ _id: versionId(id, n) }, { projection: { _id: 1 } }))) return;
  await entries.updateOne({ _id: id, n }, { $set: current, ...unset });
}

/** The newest version after `version`, by `_id` lookups (the ones FerretDB answers from its index); none when there is none. */
async function newestAfter(
  versions: Collection<VersionDocument>,
  id: string,
  version: number,
): Promise<{ version: number; value: Uint8Array } | undefined> {
  let newest = version;
  while (await versions.findOne({ _id: versionId(id, newest + 1) }, { projection: { _id: 1 } })) newest++;
  if (newest === version) return undefined;
  const document = await versions.findOne({ _id: versionId(id, newest) });
  return document?.v ? { version: newest, value: document.v } : undefined;
}

/** Oldest first, a page at a time, in `_id` order. */
export async function* versionsOf(versions: Collection<VersionDocument>, id: string): AsyncGenerator<RawVersion> {
  let after = `${id}\u0000`;
  const end = `${id}\u0001`;
  for (;;) {
    const page = await versions
      .find({ _id: { $gt: after, $lt: end } })
      .sort({ _id: 1 })
      .limit(PAGE)
      .toArray();
    for (const document of page) {
      yield {
        version: Number(document._id.slice(id.length + 1)),
        timestamp: document.t!,
        value: Buffer.copyBytesFrom(document.v!),
      };
    }
    if (page.length < PAGE) return;
    after = page[page.length - 1]._id;
  }
}

/**
 * Removes every version of the entry `id`, then its counter: a crash in between leaves a counter naming a version that
 * is gone, which the next append sets right (newestVersion).
 */
export async function removeVersions(versions: Collection<VersionDocument>, id: string): Promise<void> {
  await versions.deleteMany({ _id: { $gt: `${id}\u0000`, $lt: `${id}\u0001` } });
  await versions.deleteOne({ _id: id });
}
