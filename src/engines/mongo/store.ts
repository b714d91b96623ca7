import type { Collection, MongoClient } from 'mongodb';
import { ConfigError, EngineUnavailableError, HashStashError, ReadOnlyError, UnsupportedError } from '../../errors.js';
import type {
  AppendStore,
  Engine,
  EngineCapabilities,
  EngineContext,
  EngineStats,
  RawEntry,
  RawVersion,
} from '../engine.js';
import { acquire, connected, loadDriver, loadedDriver, MAX_POOL_SIZE, release, type SharedClient } from './client.js';
import {
  DEFAULT_URL,
  documentBytes,
  documentId,
  isHashedId,
  keyOf,
  mongoNames,
  ownCopy,
  urlParts,
  type StoredDocument,
  type UrlParts,
} from './naming.js';
import { appendVersion, removeVersions, versionsOf, VERSIONS_SUFFIX, type VersionDocument } from './versions.js';
import {
  documentExpired,
  ensureExpiryIndexes,
  expiredFilter,
  expiryFields,
  isExpired,
  liveFilter,
  type ExpiryIndexes,
} from './expiry.js';
import { mongoStats } from './stats.js';
import { compareAndSetDocument } from './compare-and-set.js';
import { Feeds } from '../change-feed.js';
import type { RawChange } from '../engine.js';
import { MONGO_CHANGE, MongoChanges, watchMongo } from './changes.js';

export { mongoNames } from './naming.js';

/**
 * mongo on the official `mongodb` driver (loaded on first use): one document per entry, in a collection of its own
 * per stash. Tested against MongoDB-compatible FerretDB (SQLite handler) as well as written for MongoDB itself.
 *
 * Where a stash lives: the database named in the URL (`mongodb://host/mydb`), else `hashstash`; a database the user
 * picks keeps working where an account may use only its own database. The collection is named from the whole
 * namespace `<root>/<name>/<engine>.<serializer>.<compress>[+b64]`: its last ~80 characters made safe (letters,
 * digits, `_ - + .`; one `.` between parts) for people to recognise, then `_` and 16 hex digits of its sha256, which
 * is what keeps two stashes apart. Example: `default_stash.main.mongo.hashstash.lz4_3f9a0c2e71d4b856`. The name is
 * at most 100 ASCII characters, so `<database>.<collection>` stays within MongoDB's 255-byte namespace limit.
 *
 * Documents: `{ _id: <key text>, v: Binary(blob) }`. `_id` is the key bytes read as a UTF-8 string (canonical keys
 * are UTF-8 text), because FerretDB looks up by index only an `_id` that is a string or an ObjectId: a Binary `_id`
 * made every read a scan of the whole collection (16.7 ms instead of 1.4 ms at 5,000 entries). A key that is not
 * such text (invalid UTF-8, a NUL byte, or a leading \x01), or is longer than 1,000 bytes (old MongoDB and some
 * compatible servers cap indexed values near 1 KB), is stored as `{ _id: "\x01" + base64url(sha256(key)), k:
 * Binary(key), v }`; the \x01 mark keeps the two forms apart, and `k` gives the key back to iteration.
 *
 * Connections: one MongoClient per URL per process, shared by the stashes on it and closed when the last one closes;
 * it connects on first use. Until every stash on it is closed the driver's monitors keep the process alive.
 * Append mode keeps versions in a second collection beside the stash's (mongo-versions.ts).
 *
 * Expiry (expiry.ts): an expiring blob's document carries `expiresAt` (the writer's clock), which reads filter on and
 * `purgeExpired` deletes by, and `purgeAt` for a TTL index where the server has one (cleanup only).
 */
/** MongoDB's limit on one document (fixed since 1.8); FerretDB has the same. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** setMany writes batches of up to this many entries, or fewer when their bytes reach WRITE_BATCH_BYTES. */
const WRITE_BATCH = 1000;
const WRITE_BATCH_BYTES = 16 * 1024 * 1024;
/** Iteration asks the server for batches of this many documents (a reply is at most 16 MB whatever this says). */
const SCAN_BATCH = 1000;
/** getMany's lookups, and setMany's replacements, in flight at once. */
const CONCURRENCY = MAX_POOL_SIZE;
/**
 * Two upserts of one new key racing each other: both find nothing, both insert, the second fails with a duplicate
 * key error (FerretDB does this every time; MongoDB retries some cases itself). A retry finds the document and
 * replaces it; only a delete racing every attempt could exhaust these.
 */
const UPSERT_ATTEMPTS = 5;
/** A purge of a watched stash deletes, and logs, this many documents at a time. */
const PURGE_LOGGED_BATCH = 1000;
const DUPLICATE_KEY = 11000;

const CAPABILITIES: EngineCapabilities = {
  persistent: true,
  sync: false,
  sharedAcrossProcesses: true,
  sharedAcrossThreads: true,
  nativeAppend: true,
  hidesExpired: true,
};

// ---- the engine ----

type Doing = 'connect to' | 'read' | 'write' | 'delete from' | 'count' | 'clear' | 'purge expired entries from';

class MongoEngine implements Engine {
  readonly name = 'mongo';
  readonly capabilities = CAPABILITIES;
  readonly sync = undefined;
  readonly #url: string;
  readonly #parts: UrlParts;
  readonly #database: string;
  readonly #collectionName: string;
  readonly #readonly: boolean;
  readonly #now: () => number;
  /** Made on the first expiring write of this engine (again after `clear`, which drops them with the collection). */
  #expiryIndexes: Promise<ExpiryIndexes> | undefined;
  #shared: SharedClient | undefined;
  #collection: Collection<StoredDocument> | undefined;
  #versions: Collection<VersionDocument> | undefined;
  #opening: Promise<Collection<StoredDocument>> | undefined;
  /** The change log's collections (changes.ts), made with the collection. */
  #changes: MongoChanges | undefined;
  readonly #feeds = new Feeds();

  constructor(context: EngineContext) {
    this.#url = context.url ?? DEFAULT_URL;
    this.#parts = urlParts(this.#url);
    const names = mongoNames(this.#url, context.namespace);
    this.#database = names.database;
    this.#collectionName = names.collection;
    this.#readonly = context.readonly;
    this.#now = context.now ?? Date.now;
  }

  /** The document of an entry, with the expiry fields of an expiring blob. */
  #document(id: string, key: Uint8Array, value: Uint8Array): StoredDocument {
    const document: StoredDocument = isHashedId(id) ? { _id: id, k: key, v: value } : { _id: id, v: value };
    const expiry = expiryFields(value, this.#now);
    return expiry ? Object.assign(document, expiry) : document;
  }

  /** Where the server supports it, a TTL index cleans up after expiry; made once per engine, before the first expiring write. */
  async #indexesFor(document: StoredDocument, collection: Collection<StoredDocument>): Promise<void> {
    if (document.expiresAt) await (this.#expiryIndexes ??= ensureExpiryIndexes(collection));
  }

  /** Whether the server took the TTL index (undefined before the first expiring write): for tests and stats. */
  async expiryIndexes(): Promise<ExpiryIndexes | undefined> {
    return this.#expiryIndexes;
  }

  /** See {@link Engine.compareAndSet}: an insert, or a lock document (compare-and-set.ts). */
  async compareAndSet(
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
  ): Promise<boolean> {
    this.#writable('write');
    const id = documentId(key);
    if (next !== undefined) this.#checkSize(id, key, next);
    const collection = this.#collection ?? (await this.#use());
    try {
      const documentOf = (v: Uint8Array): StoredDocument => this.#document(id, key, v);
      if (next !== undefined) await this.#indexesFor(documentOf(next), collection);
      const written = await compareAndSetDocument(
        collection,
        this.#versions!,
        { _id: id, documentOf },
        expected,
        next,
        this.#now,
      );
      // A delete of what is absent (neither expected nor next) changed nothing to tell watchers.
      if (written && (next !== undefined || expected !== undefined)) {
        await this.#changes?.logIfWatched(next === undefined ? MONGO_CHANGE.delete : MONGO_CHANGE.set, [key]);
      }
      return written;
    } catch (error) {
      return this.#fail(error, 'write');
    }
  }

  /** The collection, connecting on first use; a failed connection is tried again by the next call. */
  #use(): Promise<Collection<StoredDocument>> {
    return (this.#opening ??= (async () => {
      let client: MongoClient;
      const shared = (this.#shared ??= acquire(this.#url));
      try {
        client = await connected(shared, loadDriver(), this.#parts.query);
      } catch (error) {
        if (this.#shared === shared) this.#opening = undefined;
        return this.#fail(error, 'connect to');
      }
      const collection = client.db(this.#database).collection<StoredDocument>(this.#collectionName);
      this.#versions = client.db(this.#database).collection<VersionDocument>(this.#collectionName + VERSIONS_SUFFIX);
      this.#changes = new MongoChanges(client.db(this.#database), this.#collectionName);
      // Closed meanwhile: this operation runs on (and fails with) the closing client, and the next one starts anew.
      if (this.#shared === shared) this.#collection = collection;
      return collection;
    })());
  }

  /** Turns a driver or server failure into a typed error naming the collection and the server. */
  #fail(error: unknown, doing: Doing): never {
    if (error instanceof HashStashError) throw error;
    const mongo = loadedDriver();
    if (!mongo || !(error instanceof mongo.MongoError)) throw error;
    const { location } = this.#parts;
    const where = `${this.#database}.${this.#collectionName} at ${location}`;
    if (
      error instanceof mongo.MongoParseError ||
      (doing === 'connect to' && error instanceof mongo.MongoInvalidArgumentError)
    ) {
      throw new ConfigError(`option 'url' is not a usable MongoDB URL (${location}): ${error.message}`, {
        cause: error,
      });
    }
    if (
      error instanceof mongo.MongoServerSelectionError ||
      error instanceof mongo.MongoNetworkError ||
      error instanceof mongo.MongoTopologyClosedError ||
      error instanceof mongo.MongoNotConnectedError ||
      error instanceof mongo.MongoServerClosedError ||
      error instanceof mongo.MongoClientClosedError ||
      error instanceof mongo.MongoOperationTimeoutError
    ) {
      const reason =
        error instanceof mongo.MongoTopologyClosedError || error instanceof mongo.MongoClientClosedError
          ? 'the stash was closed while this operation ran'
          : `the server is unreachable: ${error.message}`;
      throw new EngineUnavailableError(`mongo cannot ${doing} ${where}: ${reason}`, location, { cause: error });
    }
    const code = (error as { code?: number | string }).code;
    if (code === 18) {
      throw new EngineUnavailableError(
        `mongo cannot ${doing} ${where}: authentication failed: ${error.message}`,
        location,
        { cause: error },
      );
    }
    if (code === 13 && doing !== 'read' && doing !== 'count') {
      throw new ReadOnlyError(`mongo cannot ${doing} ${where}: the account may not write there: ${error.message}`, {
        cause: error,
      });
    }
    if (code === 13) {
      throw new EngineUnavailableError(
        `mongo cannot ${doing} ${where}: the account may not read there: ${error.message}`,
        location,
        { cause: error },
      );
    }
    throw new HashStashError(
      `mongo cannot ${doing} ${where}: ${error.message}${code !== undefined ? ` (code ${String(code)})` : ''}`,
      { cause: error },
    );
  }

  #writable(doing: Doing): void {
    if (this.#readonly) {
      throw new ReadOnlyError(
        `mongo cannot ${doing} ${this.#database}.${this.#collectionName}: the stash was opened with readonly: true`,
      );
    }
  }

  /** A document MongoDB would refuse, refused here with a typed error before anything is sent. */
  #checkSize(id: string, key: Uint8Array, value: Uint8Array): void {
    const bytes = documentBytes(id, key, value);
    if (bytes > MAX_DOCUMENT_BYTES) {
      throw new UnsupportedError(
        `mongo cannot store a value of ${value.length} bytes: with its key the document takes ${bytes} bytes, and a ` +
          `MongoDB document is at most ${MAX_DOCUMENT_BYTES} bytes (16 MiB); use a file-based engine for values this large`,
      );
    }
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const collection = this.#collection ?? (await this.#use());
    try {
      const document = await collection.findOne({ _id: documentId(key) }, VALUE_ONLY);
      // A view into a reply that holds this one document: nothing else to pin, so no copy.
      return document === null || isExpired(document.v, this.#now()) ? undefined : document.v;
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  async set(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#writable('write');
    const id = documentId(key);
    this.#checkSize(id, key, value);
    const collection = this.#collection ?? (await this.#use());
    const document = this.#document(id, key, value);
    await this.#indexesFor(document, collection);
    await this.#replace(collection, document);
    const logging = this.#changes?.logIfWatched(MONGO_CHANGE.set, [key]);
    if (logging) await this.#logged(logging);
  }

  /** Waits for a change's log entry (changes.ts), its failure typed like the write's. */
  async #logged(logging: Promise<void>): Promise<void> {
    try {
      await logging;
    } catch (error) {
      this.#fail(error, 'write');
    }
  }

  /** Changes from every client of this stash, by polling its change log (changes.ts). */
  watch(options: {
    readonly signal?: AbortSignal | undefined;
  }): AsyncIterable<RawChange> & { readonly ready: Promise<void> } {
    this.#writable('write');
    return watchMongo(
      async () => {
        if (!this.#changes) await this.#use();
        return this.#changes!;
      },
      this.#feeds,
      options,
    );
  }

  /** An upsert; a duplicate key error means another writer inserted the key first, and is tried again. */
  async #replace(collection: Collection<StoredDocument>, document: StoredDocument): Promise<void> {
    const { _id: _id, ...replacement } = document;
    for (let attempt = 1; ; attempt++) {
      try {
        await collection.replaceOne({ _id: document._id }, replacement, UPSERT);
        return;
      } catch (error) {
        if (attempt < UPSERT_ATTEMPTS && isDuplicateKey(error)) continue;
        this.#fail(error, 'write');
      }
    }
  }

  async has(key: Uint8Array): Promise<boolean> {
    const collection = this.#collection ?? (await this.#use());
    try {
      const document = await collection.findOne({ _id: documentId(key) }, EXPIRY_ONLY);
      return document !== null && !documentExpired(document, this.#now());
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  async delete(key: Uint8Array): Promise<boolean> {
    this.#writable('delete from');
    const collection = this.#collection ?? (await this.#use());
    const id = documentId(key);
    try {
      // Versions, counter, then the entry, one after another: an append racing this finds either its versions gone
      // (and overwrites the entry it wrote back, mongo-versions.ts) or the entry still there.
      await removeVersions(this.#versions!, id);
      // An expired entry is removed too, but was already absent to every reader. Its expiry is read first by `_id`: not
      // findOneAndDelete (FerretDB 1.x takes no projection there, and without one the value comes back), nor a
      // deleteOne filtered on expiresAt (FerretDB 1.x scans the collection for it: 2x the cost of a delete).
      const found = await collection.findOne({ _id: id }, EXPIRY_ONLY);
      const removed = (await collection.deleteOne({ _id: id })).deletedCount === 1;
      if (removed) await this.#changes?.logIfWatched(MONGO_CHANGE.delete, [key]);
      return removed && !(found && documentExpired(found, this.#now()));
    } catch (error) {
      return this.#fail(error, 'delete from');
    }
  }

  /**
   * An exact count. `estimatedDocumentCount` reads MongoDB's collection metadata, which can be off after an unclean
   * shutdown; on FerretDB both scan, and took the same time.
   */
  async size(): Promise<number> {
    const collection = this.#collection ?? (await this.#use());
    try {
      return await collection.countDocuments(liveFilter(this.#now()));
    } catch (error) {
      return this.#fail(error, 'count');
    }
  }

  /**
   * Drops the stash's collection (the next write creates it again): one step on the server, where deleteMany reads
   * every document first. Other collections, and stashes in them, are untouched.
   */
  async clear(): Promise<void> {
    this.#writable('clear');
    const collection = this.#collection ?? (await this.#use());
    try {
      // A collection that does not exist (nothing written yet, or cleared already) is answered with `false`.
      // Versions first, as in delete().
      await this.#versions!.drop();
      await collection.drop();
      this.#expiryIndexes = undefined;
      await this.#changes?.logIfWatched(MONGO_CHANGE.clear, [undefined]);
    } catch (error) {
      this.#fail(error, 'clear');
    }
  }

  /** `deleteMany({ expiresAt: { $lte: now } })`: one command, each document removed atomically; how many. */
  async purgeExpired(): Promise<number> {
    this.#writable('purge expired entries from');
    const collection = this.#collection ?? (await this.#use());
    try {
      const expired = expiredFilter(this.#now());
      if (!(await this.#changes?.mayBeWatched())) return (await collection.deleteMany(expired)).deletedCount;
      // Watched: the keys are needed for the log, so the expired documents are found first and deleted by _id (still
      // only where expired: one set again meanwhile stays).
      let removed = 0;
      const doomed = await collection.find(expired, { projection: { _id: 1, k: 1 } }).toArray();
      for (let i = 0; i < doomed.length; i += PURGE_LOGGED_BATCH) {
        const batch = doomed.slice(i, i + PURGE_LOGGED_BATCH);
        removed += (
          await collection.deleteMany({ $and: [expired, { _id: { $in: batch.map((document) => document._id) } }] })
        ).deletedCount;
        await this.#changes?.logIfWatched(MONGO_CHANGE.delete, batch.map(keyOf));
      }
      return removed;
    } catch (error) {
      return this.#fail(error, 'purge expired entries from');
    }
  }

  /** Entries as `size()` counts them, and the collection's data and storage sizes from collStats (stats.ts). */
  async stats(): Promise<Partial<EngineStats>> {
    const collection = this.#collection ?? (await this.#use());
    try {
      return await mongoStats(collection, this.size());
    } catch (error) {
      return this.#fail(error, 'count');
    }
  }

  readonly append: AppendStore = {
    append: (key, value) => this.#append(key, value),
    versions: (key) => this.#versionsOf(key),
  };

  async #append(key: Uint8Array, value: Uint8Array): Promise<number> {
    this.#writable('write');
    const id = documentId(key);
    this.#checkSize(id, key, value);
    const collection = this.#collection ?? (await this.#use());
    try {
      const document = this.#document(id, key, value);
      await this.#indexesFor(document, collection);
      const version = await appendVersion(collection, this.#versions!, document, this.#now);
      await this.#changes?.logIfWatched(MONGO_CHANGE.set, [key]);
      return version;
    } catch (error) {
      return this.#fail(error, 'write');
    }
  }

  async *#versionsOf(key: Uint8Array): AsyncGenerator<RawVersion> {
    if (!this.#collection) await this.#use();
    try {
      yield* versionsOf(this.#versions!, documentId(key));
    } catch (error) {
      this.#fail(error, 'read');
    }
  }

  /**
   * One lookup per key, CONCURRENCY in flight, answered in the asked order. Not `$in`: FerretDB scans the whole
   * collection for it, while each `_id` lookup uses the index.
   */
  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const values = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
    if (keys.length === 0) return values;
    const collection = this.#collection ?? (await this.#use());
    await eachLimited(keys, async (key, index) => {
      let document: StoredDocument | null;
      try {
        document = await collection.findOne({ _id: documentId(key) }, VALUE_ONLY);
      } catch (error) {
        return this.#fail(error, 'read');
      }
      if (document !== null && !isExpired(document.v, this.#now())) values[index] = ownCopy(document.v);
    });
    return values;
  }

  /** Batches of WRITE_BATCH entries (fewer when large), each written before the next is read from `entries`. */
  async setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Promise<void> {
    this.#writable('write');
    if (Symbol.iterator in entries) {
      const iterator = entries[Symbol.iterator]();
      for (let batch = takeBatch(iterator); batch.length; batch = takeBatch(iterator)) await this.#writeBatch(batch);
      return;
    }
    let batch: RawEntry[] = [];
    let bytes = 0;
    for await (const entry of entries) {
      batch.push(entry);
      bytes += entry[0].length + entry[1].length;
      if (batch.length >= WRITE_BATCH || bytes >= WRITE_BATCH_BYTES) {
        await this.#writeBatch(batch);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) await this.#writeBatch(batch);
  }

  /**
   * Inserts the batch (unordered), then replaces one by one the entries whose key was already there. Inserting
   * first matters on FerretDB: it writes an insert of many documents in one transaction, but every upsert in a
   * transaction of its own (one fsync each). The replacements are single upserts, not one bulkWrite: FerretDB 1.x
   * holds a SQLite connection for each update of a command until the command ends, and an update command of ~50
   * or more deadlocks it. A batch is checked whole before anything is sent, so a value too large for a document
   * fails the batch without writing any of it; a batch that fails on the server may be partly written.
   */
  async #writeBatch(batch: readonly RawEntry[]): Promise<void> {
    // The last entry of a key wins, as in a Map; an unordered write would not promise that.
    const byId = new Map<string, StoredDocument>();
    for (const [key, value] of batch) {
      const id = documentId(key);
      this.#checkSize(id, key, value);
      byId.delete(id);
      byId.set(id, this.#document(id, key, value));
    }
    const collection = this.#collection ?? (await this.#use());
    const documents = [...byId.values()];
    const expiring = documents.find((document) => document.expiresAt);
    if (expiring) await this.#indexesFor(expiring, collection);
    try {
      await collection.insertMany(documents, UNORDERED);
    } catch (error) {
      await eachLimited(this.#duplicates(error, documents), (document) => this.#replace(collection, document));
    }
    const logging = this.#changes?.logIfWatched(
      MONGO_CHANGE.set,
      batch.map(([key]) => key),
    );
    if (logging) await this.#logged(logging);
  }

  /** The documents an insert failed on because their `_id` exists; any other failure is thrown. */
  #duplicates(error: unknown, documents: readonly StoredDocument[]): StoredDocument[] {
    const mongo = loadedDriver()!;
    if (!(error instanceof mongo.MongoBulkWriteError)) this.#fail(error, 'write');
    const writeErrors = (Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]) as {
      code?: unknown;
      index: number;
    }[];
    if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY))
      this.#fail(error, 'write');
    return writeErrors.map((writeError) => documents[writeError.index]);
  }

  /**
   * One cursor over the collection, read a batch at a time: memory holds one batch whatever the size. It sees every
   * entry present throughout once; entries written or deleted meanwhile may or may not be seen.
   */
  async *keys(): AsyncIterableIterator<Uint8Array> {
    for await (const document of this.#scan(KEY_ONLY)) yield keyOf(document);
  }

  async *entries(): AsyncIterableIterator<RawEntry> {
    for await (const document of this.#scan(undefined)) {
      // The filter works to the millisecond; the blob's header has the last word.
      if (!isExpired(document.v, this.#now())) yield [keyOf(document), ownCopy(document.v)];
    }
  }

  async *#scan(projection: Record<string, 1> | undefined): AsyncGenerator<StoredDocument> {
    const collection = this.#collection ?? (await this.#use());
    const filter = liveFilter(this.#now());
    const cursor = collection.find(
      filter,
      projection ? { projection, batchSize: SCAN_BATCH } : { batchSize: SCAN_BATCH },
    );
    try {
      for (;;) {
        let more: boolean;
        try {
          more = await cursor.hasNext();
        } catch (error) {
          return this.#fail(error, 'read');
        }
        if (!more) return;
        yield* cursor.readBufferedDocuments();
      }
    } finally {
      await cursor.close().catch(() => {});
    }
  }

  /** Releases this stash's share of the client; the last stash on a URL closes it. The next use connects again. */
  async close(): Promise<void> {
    await this.#feeds.closeAll();
    const shared = this.#shared;
    this.#shared = undefined;
    this.#collection = undefined;
    this.#opening = undefined;
    if (shared) await release(shared);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

const VALUE_ONLY = { projection: { _id: 0, v: 1 } } as const;
const EXPIRY_ONLY = { projection: { _id: 1, expiresAt: 1 } } as const;
const KEY_ONLY = { _id: 1, k: 1 } as const;
const UPSERT = { upsert: true } as const;
const UNORDERED = { ordered: false } as const;

/** Up to WRITE_BATCH entries, fewer when their bytes reach WRITE_BATCH_BYTES. */
function takeBatch(iterator: Iterator<RawEntry>): RawEntry[] {
  const batch: RawEntry[] = [];
  let bytes = 0;
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    batch.push(next.value);
    bytes += next.value[0].length + next.value[1].length;
    if (batch.length >= WRITE_BATCH || bytes >= WRITE_BATCH_BYTES) break;
  }
  return batch;
}

/** Runs `work` on every item, CONCURRENCY at a time; the first failure stops new ones from starting and is thrown. */
async function eachLimited<T>(items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown })?.code === DUPLICATE_KEY;
}

export function createMongoEngine(context: EngineContext): Engine {
  return new MongoEngine(context);
}
