import { basename } from 'node:path';
import { serverUrl } from '../servers.js';
import type { BenchStore, OpenStore, Pairs } from './store.js';

/** The database when the URL names none. */
const DEFAULT_DATABASE = 'hashstash_bench';
/**
 * FerretDB's SQLite handler (the server the bench starts) reads about 1 ms per 1,000 documents in the collection,
 * so the mongo stores hold this many entries of the workload.
 */
export const MONGO_ENTRIES = 1000;
/** insertMany calls of the fill hold at most this many documents. */
const FILL_BATCH_ENTRIES = 1000;

/** The database a MongoDB URL names (`mongodb://host/<db>?…`), if any. */
function databaseOf(url: string): string | undefined {
  const afterHosts = url.replace(/^[a-z+]+:\/\/[^/]*/i, '');
  const name = decodeURIComponent(afterHosts.replace(/^\//, '').split('?')[0] ?? '');
  return name || undefined;
}

/**
 * The official mongodb driver used directly, the yardsticks for the mongo engine: a collection of the case's own
 * (named after its temp folder, dropped on close), one document `{ _id: key, v }` per entry, read with
 * `findOne({ _id })` and written with `replaceOne({ _id }, doc, { upsert: true })`. `v` is the value as JSON text
 * (`mongodb`) or as a BSON sub-document (`mongodb-bson`); either way encoding and decoding happen in the timed ops.
 */
function mongodbStore<S>(
  name: string,
  encode: (value: unknown) => S,
  decode: (stored: S) => unknown,
  what: string,
): BenchStore {
  return {
    name,
    yardstick: true,
    peers: ['mongo'],
    fill: 'bulk',
    server: 'mongo',
    workloads: ['small'],
    entries: MONGO_ENTRIES,
    via: {
      set: `await replaceOne({ _id }, { v: ${what} }, { upsert: true })`,
      'set-concurrent': `bulkWrite(replaceOne upsert × batch, { ordered: false })`,
      'set-many': `insertMany(${FILL_BATCH_ENTRIES} docs, { ordered: false }) × all`,
      get: `findOne({ _id }) -> ${what === 'JSON.stringify' ? 'JSON.parse(v)' : 'v'}`,
    },
    async open(root: string): Promise<OpenStore> {
      const { MongoClient } = await import('mongodb');
      const url = serverUrl('mongo');
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.connect();
      } catch (error) {
        await client.close().catch(() => {});
        throw error;
      }
      const collection = client
        .db(databaseOf(url) ?? DEFAULT_DATABASE)
        .collection<{ _id: string; v: unknown }>(`bench_${basename(root).replace(/[^A-Za-z0-9_-]/g, '_')}`);
      // Creates the collection now, not in the first timed write.
      await collection.insertOne({ _id: 'hashstash-bench-probe', v: null });
      await collection.deleteOne({ _id: 'hashstash-bench-probe' });
      const replace = (pairs: Pairs) =>
        pairs.map(([key, value]) => ({
          replaceOne: { filter: { _id: key }, replacement: { v: encode(value) }, upsert: true },
        }));
      return {
        set: (key, value) => collection.replaceOne({ _id: key }, { v: encode(value) }, { upsert: true }),
        setConcurrent: (pairs) => collection.bulkWrite(replace(pairs), { ordered: false }),
        async setMany(pairs) {
          for (let i = 0; i < pairs.length; i += FILL_BATCH_ENTRIES) {
            const docs = pairs.slice(i, i + FILL_BATCH_ENTRIES).map(([key, value]) => ({ _id: key, v: encode(value) }));
            await collection.insertMany(docs, { ordered: false });
          }
        },
        get: async (key) => decode((await collection.findOne({ _id: key }))!.v as S),
        path: undefined,
        async close() {
          try {
            await collection.drop();
          } finally {
            await client.close();
          }
        },
      };
    },
  };
}

export const mongodbJson = mongodbStore(
  'mongodb',
  (value) => JSON.stringify(value),
  (v: string) => JSON.parse(v),
  'JSON.stringify',
);
export const mongodbBson = mongodbStore(
  'mongodb-bson',
  (value) => value,
  (v) => v,
  'value as BSON',
);
