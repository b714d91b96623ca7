import { join } from 'node:path';
import type { BenchStore, OpenStore } from './store.js';

/**
 * keyv 5 with @keyv/sqlite 4 (the sqlite3 package underneath), as its README sets it up: `createKeyv('sqlite://<file>')`
 * with keyv's default serialization and the adapter's default table and pragmas, in a database file of the case's own.
 * Every set is its own autocommitted statement; every call is awaited.
 */
export const keyvSqlite: BenchStore = {
  name: 'keyv-sqlite',
  yardstick: true,
  peers: ['sqlite'],
  fill: 'sequential',
  via: {
    set: 'await keyv.set',
    get: 'await keyv.get',
    iterate: 'for await (keyv.iterator())',
  },
  async open(root: string): Promise<OpenStore> {
    const { createKeyv } = await import('@keyv/sqlite');
    const keyv = createKeyv(`sqlite://${join(root, 'data.sqlite')}`);
    keyv.throwOnErrors = true;
    // Creates the table here, not in the first timed operation.
    await keyv.set('hashstash-bench-probe', null);
    await keyv.delete('hashstash-bench-probe');
    return {
      set: (key, value) => keyv.set(key, value),
      get: (key) => keyv.get(key),
      async iterate(visit) {
        let count = 0;
        for await (const entry of keyv.iterator!(undefined)) {
          visit(entry);
          count++;
        }
        return count;
      },
      path: root,
      close: () => keyv.disconnect(),
    };
  },
};
