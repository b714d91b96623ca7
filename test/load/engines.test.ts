// Every engine takes a load: the single writer commits through the engine's own bulk write.
import t from 'tap';
import { join } from 'node:path';
import { HashStash, type EngineName } from '../../src/index.js';
import { serverSkip } from '../helpers/servers.js';
import { contentHash, record, writeNdjsonGz } from './fixtures/inputs.js';

const COUNT = 2_000;

const ENGINES: { engine: EngineName; url?: string | undefined; skip: string | false }[] = [
  { engine: 'lmdb', skip: false },
  { engine: 'sqlite', skip: false },
  { engine: 'memory', skip: false },
  { engine: 'pairtree', skip: false },
  { engine: 'redis', url: process.env.REDIS_URL, skip: serverSkip('redis') },
  { engine: 'mongo', url: process.env.MONGODB_URL, skip: serverSkip('mongo') },
];

t.test('every engine loads the same entries', async (t) => {
  const dir = t.testdir();
  const file = await writeNdjsonGz(dir, 'in.ndjson.gz', COUNT);
  let reference: string | undefined;
  for (const { engine, url, skip } of ENGINES) {
    await t.test(engine, { skip }, async (t) => {
      t.setTimeout(120_000);
      const stash = new HashStash({ root: join(dir, 'stashes'), name: `load-${process.pid}`, engine, url });
      t.teardown(async () => {
        await stash.clear();
        await stash.close();
      });
      await stash.clear();
      const result = await stash.load(file, { key: 'id', workers: 1, batchSize: 500 });
      t.match(result, { files: 1, records: COUNT });
      t.equal(await stash.size(), COUNT);
      const { id, ...rest } = record(1234);
      t.same(await stash.get(id), rest);
      // Engines list entries in different orders: compare the sorted keys' hash instead of the raw order.
      const keys = [];
      for await (const key of stash.rawKeys()) keys.push(Buffer.from(key).toString());
      keys.sort();
      const digest = keys.join('\n');
      reference ??= digest;
      t.equal(digest, reference, 'the same keys as on lmdb');
      if (engine === 'lmdb') t.equal((await contentHash(stash)).count, COUNT);
    });
  }
});
