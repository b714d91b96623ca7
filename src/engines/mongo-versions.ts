import type { Collection } from 'mongodb';
import type { RawVersion } from './engine.js';
import type { StoredDocument } from './mongo-naming.js';

/**
 * Append mode on mongo: versions are documents of their own in a second collection, `<stash collection>.versions`:
 *   { _id: <key id>, n }                          the key's counter: how many version numbers were handed out
 *   { _id: <key id> NUL <version, 10 digits>, t, v }   one per version: timestamp in ms and the blob
 * (`<key id>` is the entry's `_id`, which never holds a NUL; string `_id`s are the ones FerretDB finds by index.)
 * An append takes its number with findOneAndUpdate `$inc` on the counter and inserts the version under it. The
 * unique `_id` is what keeps two processes from sharing a number: MongoDB's `$inc` is atomic, but FerretDB 1.x reads
 * and writes the counter in two steps, so two writers can be handed one number; the second insert then fails with a
 * duplicate key and takes the next number. The append then sets the entry's value only if the entry holds an older version
 * (`n` below its own), so the entry ends up with the latest version whichever writer finishes last. A delete removes
 * the versions, then the counter, then the entry; an append racing it may write the entry back with a number whose
 * version is gone, which the next append overwrites (replaceStale), and may leave versions behind with no counter,
 * which the next append numbers past (counterPastHighest).
 */
export const VERSIONS_SUFFIX = '.versions';
const DUPLICATE_KEY = 11000;
const ATTEMPTS = 5;
/** Numbers an append may find taken (by writers racing on a FerretDB counter) before it gives up. */
const NUMBER_ATTEMPTS = 1000;
const PAGE = 256;

interface CounterDocument { _id: string; n: number }
export interface VersionDocument { _id: string; n?: number; t?: number; v?: Uint8Array }

const isDuplicateKey = (error: unknown) => (error as { code?: unknown })?.code === DUPLICATE_KEY;
const versionId = (id: string, version: number) => `${id}\u0000${String(version).padStart(10, '0')}`;

/** Adds the next version of the entry `document` (its `_id`, optional `k`, and the blob `v`); the version number. */
export async function appendVersion(
  entries: Collection<StoredDocument>, versions: Collection<VersionDocument>, document: StoredDocument, timestamp: number,
): Promise<number> {
  const id = document._id;
  let version = 0;
  for (let attempt = 1; ; attempt++) {
    version = await nextNumber(versions, id);
    // A counter that starts anew may find versions an append racing a delete left behind: it moves past them first.
    if (version === 1 && (await counterPastHighest(versions, id))) continue;
    try {
      await versions.insertOne({ _id: versionId(id, version), t: timestamp, v: document.v });
      break;
    } catch (error) {
      if (attempt >= NUMBER_ATTEMPTS || !isDuplicateKey(error)) throw error;
      // Taken: by a writer racing on the counter, or by versions a delete racing an append left behind after the
      // counter went. Either way the next number to try is past the highest version there is.
      await counterPastHighest(versions, id);
    }
  }
  // FerretDB's conditional update is not atomic either: a writer that finds a newer version after its own update
  // writes that one again, so the last word is always the newest version's.
  let current = { version, value: document.v };
  for (;;) {
    await setCurrent(entries, versions, document, current.version, current.value);
    const newer = await newestAfter(versions, id, current.version);
    if (!newer) return version;
    current = newer;
  }
}

async function setCurrent(
  entries: Collection<StoredDocument>, versions: Collection<VersionDocument>, document: StoredDocument, version: number, value: Uint8Array,
): Promise<void> {
  const current = document.k ? { k: document.k, v: value, n: version } : { v: value, n: version };
  const olderOrPlain = { _id: document._id, $or: [{ n: { $lt: version } }, { n: { $exists: false } }] };
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await entries.updateOne(olderOrPlain as never, { $set: current }, { upsert: true });
      return;
    } catch (error) {
      // The entry exists with a newer version (nothing matched, and the upsert met its _id), or a first append of
      // the key raced ours to insert it: one more try tells the two apart.
      if (!isDuplicateKey(error)) throw error;
    }
  }
  await replaceStale(entries, versions, document._id, version, current);
}

/**
 * The entry says it holds version `n` at or past ours. That is true unless an append racing a delete wrote the
 * entry back after its versions went (the counter then starts again from 1): an `n` with no version document, or
 * our own number (each number is inserted once), is such a leftover, and is overwritten.
 */
async function replaceStale(
  entries: Collection<StoredDocument>, versions: Collection<VersionDocument>, id: string, version: number, current: Partial<StoredDocument>,
): Promise<void> {
  const entry = await entries.findOne({ _id: id }, { projection: { _id: 0, n: 1 } }) as { n?: unknown } | null;
  const n = entry?.n;
  if (typeof n !== 'number' || n < version) return;
  if (n !== version && (await versions.findOne({ _id: versionId(id, n) }, { projection: { _id: 1 } }))) return;
  await entries.updateOne({ _id: id, n } as never, { $set: current });
}

/** The newest version after `version`, by `_id` lookups (the ones FerretDB answers from its index); none when there is none. */
async function newestAfter(versions: Collection<VersionDocument>, id: string, version: number): Promise<{ version: number; value: Uint8Array } | undefined> {
  let newest = version;
  while (await versions.findOne({ _id: versionId(id, newest + 1) }, { projection: { _id: 1 } })) newest++;
  if (newest === version) return undefined;
  const document = await versions.findOne({ _id: versionId(id, newest) });
  return document?.v ? { version: newest, value: document.v } : undefined;
}

/**
 * Moves the key's counter up to its highest version, so that the next number it hands out is free; whether it had to.
 * A counter is always at or past the versions numbered from it, so one below them means they outlived an older counter.
 */
async function counterPastHighest(versions: Collection<VersionDocument>, id: string): Promise<boolean> {
  const [highest] = await versions.find({ _id: { $gt: `${id}\u0000`, $lt: `${id}\u0001` } }, { projection: { _id: 1 } })
    .sort({ _id: -1 }).limit(1).toArray();
  if (!highest) return false;
  const n = Number(highest._id.slice(id.length + 1));
  return (await versions.updateOne({ _id: id, n: { $lt: n } } as never, { $set: { n } })).modifiedCount === 1;
}

async function nextNumber(versions: Collection<VersionDocument>, id: string): Promise<number> {
  // Two first appends of one key both try to insert the counter; the loser's duplicate key error is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      const counter = await versions.findOneAndUpdate({ _id: id }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' });
      return (counter as CounterDocument).n;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isDuplicateKey(error)) throw error;
    }
  }
}

/** Oldest first, a page at a time, in `_id` order. */
export async function* versionsOf(versions: Collection<VersionDocument>, id: string): AsyncGenerator<RawVersion> {
  let after = `${id}\u0000`;
  const end = `${id}\u0001`;
  for (;;) {
    const page = await versions.find({ _id: { $gt: after, $lt: end } }).sort({ _id: 1 }).limit(PAGE).toArray();
    for (const document of page) {
      yield { version: Number(document._id.slice(id.length + 1)), timestamp: document.t!, value: Buffer.copyBytesFrom(document.v!) };
    }
    if (page.length < PAGE) return;
    after = page[page.length - 1]!._id;
  }
}

/**
 * Removes every version of the entry `id`, then its counter: a crash in between leaves a counter that goes on past
 * the numbers still there, never versions that a fresh counter would number again.
 */
export async function removeVersions(versions: Collection<VersionDocument>, id: string): Promise<void> {
  await versions.deleteMany({ _id: { $gt: `${id}\u0000`, $lt: `${id}\u0001` } });
  await versions.deleteOne({ _id: id });
}
