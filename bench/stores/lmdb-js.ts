import { join } from 'node:path';
import type { BenchStore, OpenStore } from './store.js';

/**
 * lmdb-js used directly, the yardsticks for the lmdb engine: an environment of its own at `<root>/data.mdb`, opened
 * with lmdb-js's defaults apart from the value encoding (`flushed`: also with the engine's own commit settings).
 * Keys are the plain strings.
 *
 * lmdb-js's defaults acknowledge a write once it is committed and flush it to disk afterwards (overlappingSync); the
 * engine turns that off (it lost writes between processes, src/engines/lmdb/store.ts), so its writes resolve only once
 * flushed. `lmdb-js` is what most users run; `lmdb-js-flushed` does the engine's durable work, for a like-for-like
 * write figure.
 */
async function openLmdb(root: string, binary: boolean, flushed = false) {
  const { open } = await import('lmdb');
  return open<unknown, string>({
    path: join(root, 'data.mdb'),
    ...(binary ? { encoding: 'binary' as const } : {}),
    ...(flushed ? { overlappingSync: false, eventTurnBatching: false } : {}),
  });
}

/** lmdb-js as most users run it: values go through its built-in msgpack encoding. */
export const lmdbJs: BenchStore = {
  name: 'lmdb-js',
  yardstick: true,
  peers: ['lmdb'],
  fill: 'bulk',
  via: {
    set: 'await db.put',
    'set-sync': 'db.putSync',
    'set-concurrent': 'await Promise.all(db.put × batch)',
    'set-many': 'db.transactionSync(db.putSync × all)',
    'get-sync': 'db.get (msgpack)',
  },
  async open(root: string): Promise<OpenStore> {
    const db = await openLmdb(root, false);
    return {
      set: (key, value) => db.put(key, value),
      setSync: (key, value) => db.putSync(key, value),
      setConcurrent: (pairs) => Promise.all(pairs.map(([key, value]) => db.put(key, value))),
      setMany: (pairs) =>
        db.transactionSync(() => {
          for (const [key, value] of pairs) db.putSync(key, value);
        }),
      getSync: (key) => db.get(key),
      path: root,
      close: () => db.close(),
    };
  },
};

/** lmdb-js with the lmdb engine's commit settings: every write resolves once flushed to disk (see openLmdb). */
export const lmdbJsFlushed: BenchStore = {
  name: 'lmdb-js-flushed',
  yardstick: true,
  peers: ['lmdb'],
  fill: 'bulk',
  via: {
    set: 'await db.put (overlappingSync and eventTurnBatching off)',
    'set-sync': 'db.putSync (overlappingSync off)',
    'set-concurrent': 'await Promise.all(db.put × batch) (overlappingSync and eventTurnBatching off)',
    'get-sync': 'db.get (msgpack)',
  },
  async open(root: string): Promise<OpenStore> {
    const db = await openLmdb(root, false, true);
    return {
      set: (key, value) => db.put(key, value),
      setSync: (key, value) => db.putSync(key, value),
      setConcurrent: (pairs) => Promise.all(pairs.map(([key, value]) => db.put(key, value))),
      setMany: (pairs) =>
        db.transactionSync(() => {
          for (const [key, value] of pairs) db.putSync(key, value);
        }),
      // Reads are lmdb-js's own rows; this one is only for the suite's check that the fill landed.
      getSync: (key) => db.get(key),
      path: root,
      close: () => db.close(),
    };
  },
};

/** lmdb-js storing bytes, as the lmdb engine does; JSON is the encoding, so decoding is JSON.parse of the bytes. */
export const lmdbJsBinary: BenchStore = {
  name: 'lmdb-js-binary',
  yardstick: true,
  peers: ['lmdb'],
  fill: 'bulk',
  via: {
    'set-many': 'db.transactionSync(db.putSync(Buffer of JSON.stringify) × all)',
    'get-sync': 'JSON.parse(db.getBinary)',
  },
  async open(root: string): Promise<OpenStore> {
    const db = await openLmdb(root, true);
    return {
      setMany: (pairs) =>
        db.transactionSync(() => {
          for (const [key, value] of pairs) db.putSync(key, Buffer.from(JSON.stringify(value)));
        }),
      getSync: (key) => JSON.parse(db.getBinary(key)!.toString()) as unknown,
      path: root,
      close: () => db.close(),
    };
  },
};
