/**
 * keyv's own storage-adapter suite (@keyv/test-suite, under vitest) on a KeyvHashStash per engine. Run by
 * keyv-suite.test.ts, which starts vitest on the compiled file with the servers' URLs in its environment.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as test from 'vitest';
import { Keyv } from 'keyv';
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import type { EngineName } from '../../src/index.js';
import { KeyvHashStash } from '../../src/keyv/index.js';

const engines = (process.env.KEYV_SUITE_ENGINES ?? 'lmdb,sqlite,pairtree,memory,redis,mongo').split(
  ',',
) as EngineName[];
const root = mkdtempSync(join(tmpdir(), 'hashstash-keyv-suite-'));

/** A Keyv that wires `iterator()` to the store, as keyv wires it for its own stores (createKeyv does the same). */
class IteratingKeyv extends Keyv {
  constructor(options?: ConstructorParameters<typeof Keyv>[0]) {
    super(options);
    const store = this.store as KeyvHashStash;
    this.iterator = this.generateIterator(store.iterator.bind(store));
  }
}

for (const engine of engines) {
  const url = engine === 'redis' ? process.env.REDIS_URL : engine === 'mongo' ? process.env.MONGODB_URL : undefined;
  test.describe(engine, () => {
    const stores: KeyvHashStash[] = [];
    // Every store of one engine shares the stash location, as keyv's suite expects of one backend.
    const store = () => {
      const opened = new KeyvHashStash({ engine, root: join(root, engine), url });
      stores.push(opened);
      return opened;
    };
    test.afterAll(async () => {
      await Promise.all(stores.map((opened) => opened.disconnect()));
    });
    keyvTestSuite(test, Keyv, store);
    keyvIteratorTests(test, IteratingKeyv, store);
  });
}
