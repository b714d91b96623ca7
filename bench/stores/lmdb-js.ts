import { join } from 'node:path';
import type { BenchStore, OpenStore } from './store.js';

/**
 * lmdb-js used directly, the yardsticks for the lmdb engine: an environment of its own at `<root>/data.mdb`,
 * opened with lmdb-js's defaults apart from the value encoding, as the engine opens its own: the same commit
 * and flush settings, so writes are equally durable. Keys are the plain strings.
 */
async function openLmdb(root: string, binary: boolean) {
  const { open } = await import('lmdb');
  return open<unknown, string>({ path: join(root, 'data.mdb'), ...(binary ? { encoding: 'binary' as const } : {}) });
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
      setMany: (pairs) => db.transactionSync(() => {
        for (const [key, value] of pairs) db.putSync(key, value);
      }),
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
      setMany: (pairs) => db.transactionSync(() => {
        for (const [key, value] of pairs) db.putSync(key, Buffer.from(JSON.stringify(value)));
      }),
      getSync: (key) => JSON.parse(db.getBinary(key)!.toString()),
      path: root,
      close: () => db.close(),
    };
  },
};
