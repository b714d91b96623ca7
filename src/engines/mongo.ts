import { Buffer, isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Collection, MongoClient, MongoClientOptions } from 'mongodb';
import { ConfigError, EngineUnavailableError, HashStashError, ReadOnlyError, UnsupportedError } from '../errors.js';
import type { Engine, EngineCapabilities, EngineContext, RawEntry } from './engine.js';

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
 */
const DEFAULT_URL = 'mongodb://127.0.0.1:27017';
const DEFAULT_DATABASE = 'hashstash';
/** An unreachable server fails within these (the driver's defaults are 30 s); a `?serverSelectionTimeoutMS=` in the URL wins. */
const SERVER_SELECTION_TIMEOUT_MS = 3_000;
const CONNECT_TIMEOUT_MS = 3_000;
const MAX_TEXT_ID_BYTES = 1000;
const HASHED_ID_MARK = '\u0001';
/** MongoDB's limit on one document (fixed since 1.8); FerretDB has the same. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** setMany writes batches of up to this many entries, or fewer when their bytes reach WRITE_BATCH_BYTES. */
const WRITE_BATCH = 1000;
const WRITE_BATCH_BYTES = 16 * 1024 * 1024;
/** Iteration asks the server for batches of this many documents (a reply is at most 16 MB whatever this says). */
const SCAN_BATCH = 1000;
/**
 * Connections per client unless the URL sets `maxPoolSize` (the driver's default is 100), and so the operations
 * one process has in flight. FerretDB 1.x holds two of its 100 SQLite connections for every update in flight and
 * deadlocks (every client of that database hangs, `ping` included) once about 100 wait for their second one.
 */
const MAX_POOL_SIZE = 16;
/** getMany's lookups, and setMany's replacements, in flight at once. */
const CONCURRENCY = MAX_POOL_SIZE;
/**
 * Two upserts of one new key racing each other: both find nothing, both insert, the second fails with a duplicate
 * key error (FerretDB does this every time; MongoDB retries some cases itself). A retry finds the document and
 * replaces it; only a delete racing every attempt could exhaust these.
 */
const UPSERT_ATTEMPTS = 5;
const DUPLICATE_KEY = 11000;
const MAX_READABLE_NAME = 100 - 17;

const CAPABILITIES: EngineCapabilities = {
  persistent: true, sync: false, sharedAcrossProcesses: true, sharedAcrossThreads: true, nativeAppend: true,
};

type Driver = typeof import('mongodb');
let driver: Driver | undefined;

function loadDriver(location: string): Driver {
  if (driver) return driver;
  try {
    return (driver = createRequire(import.meta.url)('mongodb') as Driver);
  } catch (error) {
    throw new EngineUnavailableError(`install mongodb@6 to use the mongo engine (${(error as Error).message})`, location, { cause: error });
  }
}

/** The parts of a mongodb:// URL this engine needs; the driver parses and checks the rest. */
interface UrlParts {
  /** The URL without password and query options, for messages and `EngineUnavailableError.location`. */
  readonly location: string;
  /** The database named in the path, or '' when none is. */
  readonly database: string;
  readonly query: string;
}

function urlParts(url: string): UrlParts {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return { location: url.replace(/:[^:@/]*@/, '@'), database: '', query: '' };
  const rest = url.slice(schemeEnd + 3);
  const queryAt = rest.indexOf('?');
  const query = queryAt < 0 ? '' : rest.slice(queryAt + 1);
  const beforeQuery = queryAt < 0 ? rest : rest.slice(0, queryAt);
  // A password may hold any character but '@' unescaped, and hosts hold no '@': the last '@' ends the credentials.
  const at = beforeQuery.lastIndexOf('@');
  const hostsAndPath = beforeQuery.slice(at + 1);
  const user = at < 0 ? '' : `${beforeQuery.slice(0, at).split(':')[0]}@`;
  const slash = hostsAndPath.indexOf('/');
  let database = slash < 0 ? '' : hostsAndPath.slice(slash + 1);
  try {
    database = decodeURIComponent(database);
  } catch {
    // Left as written: the driver says what is wrong with it.
  }
  return { location: `${url.slice(0, schemeEnd + 3)}${user}${hostsAndPath}`, database, query };
}

/** Where a stash's documents live; see the comment at the top of this file. */
export function mongoNames(url: string | undefined, namespace: string): { database: string; collection: string } {
  const digest = hash('sha256', namespace, 'hex').slice(0, 16);
  const readable = namespace
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/[^A-Za-z0-9_+.-]/g, '_'))
    .join('.')
    .replace(/\.{2,}/g, '.');
  let tail = readable.slice(-MAX_READABLE_NAME).replace(/^\.+/, '');
  // MongoDB reserves `system.` collections and FerretDB `_ferretdb_` ones.
  if (tail === '' || /^(system\.|_ferretdb_)/i.test(tail)) tail = `s_${tail}`.slice(0, MAX_READABLE_NAME);
  return { database: urlParts(url ?? DEFAULT_URL).database || DEFAULT_DATABASE, collection: `${tail}_${digest}` };
}

/** `_id` of a key: its text, or the marked hash of a key that cannot be one (see the top of this file). */
function documentId(key: Uint8Array): string {
  if (key.length <= MAX_TEXT_ID_BYTES && key[0] !== 1 && key.indexOf(0) < 0 && isUtf8(key)) {
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  }
  return HASHED_ID_MARK + hash('sha256', key, 'base64url');
}

const isHashedId = (id: string) => id.charCodeAt(0) === 1;

/** The stored document's BSON size: header, `_id` string, optional `k` and `v` binaries, terminator. */
function documentBytes(id: string, key: Uint8Array, value: Uint8Array): number {
  const idBytes = isHashedId(id) ? id.length : key.length;
  const keyField = isHashedId(id) ? 8 + key.length : 0;
  return 5 + (10 + idBytes) + keyField + (8 + value.length);
}

interface StoredDocument { _id: string; k?: Uint8Array; v: Uint8Array }

/** Bytes as a Buffer of their own: the driver's are views into a whole reply, which one kept value would pin. */
const ownCopy = (bytes: Uint8Array): Uint8Array => Buffer.copyBytesFrom(bytes);

function keyOf(document: StoredDocument): Uint8Array {
  return document.k ? ownCopy(document.k) : Buffer.from(document._id, 'utf8');
}

// ---- one client per URL per process ----

interface SharedClient {
  readonly url: string;
  /** Set once connected; the driver reconnects by itself from then on. */
  client: MongoClient | undefined;
  connecting: Promise<MongoClient> | undefined;
  users: number;
}

const clients = new Map<string, SharedClient>();

function acquire(url: string): SharedClient {
  let shared = clients.get(url);
  if (!shared) clients.set(url, (shared = { url, client: undefined, connecting: undefined, users: 0 }));
  shared.users++;
  return shared;
}

async function release(shared: SharedClient): Promise<void> {
  if (--shared.users > 0) return;
  if (clients.get(shared.url) === shared) clients.delete(shared.url);
  const client = shared.client ?? (await shared.connecting?.catch(() => undefined));
  shared.client = undefined;
  shared.connecting = undefined;
  await client?.close();
}

function clientOptions(query: string): MongoClientOptions {
  const options: MongoClientOptions = { promoteBuffers: true, appName: 'hashstash' };
  if (!/(^|&)maxPoolSize=/i.test(query)) options.maxPoolSize = MAX_POOL_SIZE;
  if (!/(^|&)serverSelectionTimeoutMS=/i.test(query)) options.serverSelectionTimeoutMS = SERVER_SELECTION_TIMEOUT_MS;
  if (!/(^|&)connectTimeoutMS=/i.test(query)) options.connectTimeoutMS = CONNECT_TIMEOUT_MS;
  return options;
}

/**
 * The connected client. A MongoClient whose first connection failed is closed for good (every later operation
 * says "Topology is closed"), so a failed attempt is dropped and the next operation starts a new client.
 */
function connected(shared: SharedClient, mongo: Driver, query: string): Promise<MongoClient> {
  if (shared.client) return Promise.resolve(shared.client);
  return (shared.connecting ??= (async () => {
    const client = new mongo.MongoClient(shared.url, clientOptions(query));
    try {
      await client.connect();
    } catch (error) {
      shared.connecting = undefined;
      await client.close().catch(() => {});
      throw error;
    }
    shared.client = client;
    return client;
  })());
}

// ---- the engine ----

type Doing = 'connect to' | 'read' | 'write' | 'delete from' | 'count' | 'clear';

class MongoEngine implements Engine {
  readonly name = 'mongo';
  readonly capabilities = CAPABILITIES;
  readonly sync = undefined;
  readonly #url: string;
  readonly #parts: UrlParts;
  readonly #database: string;
  readonly #collectionName: string;
  readonly #readonly: boolean;
  #shared: SharedClient | undefined;
  #collection: Collection<StoredDocument> | undefined;
  #opening: Promise<Collection<StoredDocument>> | undefined;

  constructor(context: EngineContext) {
    this.#url = context.url ?? DEFAULT_URL;
    this.#parts = urlParts(this.#url);
    const names = mongoNames(this.#url, context.namespace);
    this.#database = names.database;
    this.#collectionName = names.collection;
    this.#readonly = context.readonly;
  }

  /** The collection, connecting on first use; a failed connection is tried again by the next call. */
  #use(): Promise<Collection<StoredDocument>> {
    return (this.#opening ??= (async () => {
      let client: MongoClient;
      const shared = (this.#shared ??= acquire(this.#url));
      try {
        client = await connected(shared, loadDriver(this.#parts.location), this.#parts.query);
      } catch (error) {
        if (this.#shared === shared) this.#opening = undefined;
        return this.#fail(error, 'connect to');
      }
      const collection = client.db(this.#database).collection<StoredDocument>(this.#collectionName);
      // Closed meanwhile: this operation runs on (and fails with) the closing client, and the next one starts anew.
      if (this.#shared === shared) this.#collection = collection;
      return collection;
    })());
  }

  /** Turns a driver or server failure into a typed error naming the collection and the server. */
  #fail(error: unknown, doing: Doing): never {
    if (error instanceof HashStashError) throw error;
    const mongo = driver;
    if (!mongo || !(error instanceof mongo.MongoError)) throw error;
    const { location } = this.#parts;
    const where = `${this.#database}.${this.#collectionName} at ${location}`;
    if (error instanceof mongo.MongoParseError || (doing === 'connect to' && error instanceof mongo.MongoInvalidArgumentError)) {
      throw new ConfigError(`option 'url' is not a usable MongoDB URL (${location}): ${error.message}`, { cause: error });
    }
    if (
      error instanceof mongo.MongoServerSelectionError || error instanceof mongo.MongoNetworkError ||
      error instanceof mongo.MongoTopologyClosedError || error instanceof mongo.MongoNotConnectedError ||
      error instanceof mongo.MongoServerClosedError || error instanceof mongo.MongoClientClosedError ||
      error instanceof mongo.MongoOperationTimeoutError
    ) {
      const reason = error instanceof mongo.MongoTopologyClosedError || error instanceof mongo.MongoClientClosedError
        ? 'the stash was closed while this operation ran'
        : `the server is unreachable: ${error.message}`;
      throw new EngineUnavailableError(`mongo cannot ${doing} ${where}: ${reason}`, location, { cause: error });
    }
    const code = (error as { code?: unknown }).code;
    if (code === 18) {
      throw new EngineUnavailableError(`mongo cannot ${doing} ${where}: authentication failed: ${error.message}`, location, { cause: error });
    }
    if (code === 13 && doing !== 'read' && doing !== 'count') {
      throw new ReadOnlyError(`mongo cannot ${doing} ${where}: the account may not write there: ${error.message}`, { cause: error });
    }
    if (code === 13) {
      throw new EngineUnavailableError(`mongo cannot ${doing} ${where}: the account may not read there: ${error.message}`, location, { cause: error });
    }
    throw new HashStashError(`mongo cannot ${doing} ${where}: ${error.message}${code !== undefined ? ` (code ${String(code)})` : ''}`, { cause: error });
  }

  #writable(doing: Doing): void {
    if (this.#readonly) {
      throw new ReadOnlyError(`mongo cannot ${doing} ${this.#database}.${this.#collectionName}: the stash was opened with readonly: true`);
    }
  }

  /** A document MongoDB would refuse, refused here with a typed error before anything is sent. */
  #checkSize(id: string, key: Uint8Array, value: Uint8Array): void {
    const bytes = documentBytes(id, key, value);
    if (bytes > MAX_DOCUMENT_BYTES) {
      throw new UnsupportedError(
        `mongo cannot store a value of ${value.length} bytes: with its key the document takes ${bytes} bytes, and a ` +
        `MongoDB document is at most ${MAX_DOCUMENT_BYTES} bytes (16 MiB); use a file-based engine for values this large`);
    }
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const collection = this.#collection ?? (await this.#use());
    try {
      const document = await collection.findOne({ _id: documentId(key) }, VALUE_ONLY);
      // A view into a reply that holds this one document: nothing else to pin, so no copy.
      return document === null ? undefined : document.v;
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  async set(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#writable('write');
    const id = documentId(key);
    this.#checkSize(id, key, value);
    const collection = this.#collection ?? (await this.#use());
    await this.#replace(collection, isHashedId(id) ? { _id: id, k: key, v: value } : { _id: id, v: value });
  }

  /** An upsert; a duplicate key error means another writer inserted the key first, and is tried again. */
  async #replace(collection: Collection<StoredDocument>, document: StoredDocument): Promise<void> {
    const replacement = document.k ? { k: document.k, v: document.v } : { v: document.v };
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
      return (await collection.findOne({ _id: documentId(key) }, ID_ONLY)) !== null;
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  async delete(key: Uint8Array): Promise<boolean> {
    this.#writable('delete from');
    const collection = this.#collection ?? (await this.#use());
    try {
      return (await collection.deleteOne({ _id: documentId(key) })).deletedCount === 1;
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
      return await collection.countDocuments({});
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
      await collection.drop();
    } catch (error) {
      this.#fail(error, 'clear');
    }
  }

  /**
   * One lookup per key, CONCURRENCY in flight, answered in the asked order. Not `$in`: FerretDB scans the whole
   * collection for it, while each `_id` lookup uses the index.
   */
  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const values = new Array<Uint8Array | undefined>(keys.length);
    if (keys.length === 0) return values;
    const collection = this.#collection ?? (await this.#use());
    await eachLimited(keys, async (key, index) => {
      let document: StoredDocument | null;
      try {
        document = await collection.findOne({ _id: documentId(key) }, VALUE_ONLY);
      } catch (error) {
        return this.#fail(error, 'read');
      }
      if (document !== null) values[index] = ownCopy(document.v);
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
      byId.set(id, isHashedId(id) ? { _id: id, k: key, v: value } : { _id: id, v: value });
    }
    const collection = this.#collection ?? (await this.#use());
    const documents = [...byId.values()];
    try {
      await collection.insertMany(documents, UNORDERED);
    } catch (error) {
      await eachLimited(this.#duplicates(error, documents), (document) => this.#replace(collection, document));
    }
  }

  /** The documents an insert failed on because their `_id` exists; any other failure is thrown. */
  #duplicates(error: unknown, documents: readonly StoredDocument[]): StoredDocument[] {
    const mongo = driver!;
    if (!(error instanceof mongo.MongoBulkWriteError)) this.#fail(error, 'write');
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)) this.#fail(error, 'write');
    return writeErrors.map((writeError) => documents[writeError.index]!);
  }

  /**
   * One cursor over the collection, read a batch at a time: memory holds one batch whatever the size. It sees every
   * entry present throughout once; entries written or deleted meanwhile may or may not be seen.
   */
  async *keys(): AsyncIterableIterator<Uint8Array> {
    for await (const document of this.#scan(KEY_ONLY)) yield keyOf(document);
  }

  async *entries(): AsyncIterableIterator<RawEntry> {
    for await (const document of this.#scan(undefined)) yield [keyOf(document), ownCopy(document.v)];
  }

  async *#scan(projection: Record<string, 1> | undefined): AsyncGenerator<StoredDocument> {
    const collection = this.#collection ?? (await this.#use());
    const cursor = collection.find({}, projection ? { projection, batchSize: SCAN_BATCH } : { batchSize: SCAN_BATCH });
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
const ID_ONLY = { projection: { _id: 1 } } as const;
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
        await work(items[index]!, index);
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
