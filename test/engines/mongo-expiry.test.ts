/**
 * The mongo engine's expiry at the engine level, with an injected clock: `expiresAt` filtered on by every read and
 * deleted by `purgeExpired`, and the TTL index on `purgeAt` where the server takes one (FerretDB 1.x here; what it
 * does with the index is reported, and the fallback path is tested with a server that refuses it).
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Collection } from 'mongodb';
import { ReadOnlyError } from '../../src/index.js';
import type { Engine, EngineContext } from '../../src/engines/engine.js';
import { engineFactory } from '../../src/engines/index.js';
import { mongoNames } from '../../src/engines/mongo/store.js';
import { ensureExpiryIndexes, PURGE_GRACE_MS, type ExpiryIndexes } from '../../src/engines/mongo/expiry.js';
import type { StoredDocument } from '../../src/engines/mongo/naming.js';
import { withHeader } from '../../src/format/header.js';
import { requireServer } from '../helpers/servers.js';
import { collect } from '../helpers/collect.js';

t.setTimeout(300_000);

const START = 1_000_000_000_000;
const bytes = (text: string) => Buffer.from(text);
const blob = (text: string, expiresAt?: number) => withHeader(Buffer.from(text), 0x68, 0x72, 0, expiresAt);
const texts = (keys: Uint8Array[]) => keys.map((key) => Buffer.from(key).toString()).sort();

const runDatabase = `hashstash_expiry_${process.pid}_${Date.now().toString(36)}`;
const sharedUrl = requireServer(t, 'mongo');

if (sharedUrl) {
  const [, hosts, , query] = /^([a-z+]+:\/\/[^/?]+)\/?([^?]*)(?:\?(.*))?$/i.exec(sharedUrl)!;
  const url = `${hosts}/${runDatabase}${query ? `?${query}` : ''}`;
  const raw = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  t.teardown(async () => {
    await raw.db(runDatabase).dropDatabase();
    await raw.close();
  });

  const open = (t: Test, extra: Partial<EngineContext> = {}) => {
    const clock = { now: START };
    const namespace = `hashstash-mongo-expiry/${randomBytes(6).toString('hex')}`;
    const context: EngineContext = { path: namespace, namespace, readonly: false, url, now: () => clock.now, ...extra };
    const engine = engineFactory('mongo')(context);
    t.teardown(() => engine.close());
    const { database, collection } = mongoNames(url, namespace);
    return { engine, context, clock, collection: raw.db(database).collection<StoredDocument>(collection) };
  };

  t.test('every read hides a document expired at the injected clock; purge deletes them', async (t) => {
    const { engine, clock, collection } = open(t);
    await engine.set(bytes('soon'), blob('soon', START + 1_000));
    await engine.set(bytes('later'), blob('later', START + 60_000));
    await engine.set(bytes('never'), blob('never'));
    await engine.setMany([
      [bytes('many-soon'), blob('many', START + 1_000)],
      [bytes('many-never'), blob('many')],
    ]);
    const stored = await collection.findOne({ _id: 'soon' });
    t.equal(stored?.expiresAt?.getTime(), START + 1_000, "expiresAt is the writer's clock's expiry");
    t.ok(
      stored!.purgeAt!.getTime() >= Date.now() + 1_000 + PURGE_GRACE_MS - 60_000,
      "purgeAt is by this machine's clock, with the grace",
    );
    t.notOk('expiresAt' in (await collection.findOne({ _id: 'never' }))!, 'a blob without expiry has no expiresAt');

    t.equal(await engine.size(), 5);
    clock.now = START + 1_000;
    t.equal(await engine.get(bytes('soon')), undefined, 'get: expired at exactly its expiry');
    t.equal(await engine.has(bytes('soon')), false, 'has');
    t.equal(await engine.has(bytes('never')), true);
    t.equal(await engine.size(), 3, 'size counts the live documents');
    const many = await engine.getMany([bytes('soon'), bytes('later'), bytes('many-soon'), bytes('never')]);
    t.same(
      many.map((value) => value !== undefined),
      [false, true, false, true],
      'getMany',
    );
    t.same(texts(await collect(engine.keys())), ['later', 'many-never', 'never'], 'keys');
    t.same(texts((await collect(engine.entries())).map(([key]) => key)), ['later', 'many-never', 'never'], 'entries');

    t.equal(await engine.delete(bytes('soon')), false, 'deleting an expired entry removes it but says it was absent');
    t.equal(await engine.delete(bytes('later')), true);
    t.equal(await engine.purgeExpired!(), 1, 'purge deletes what is left expired');
    t.equal(await collection.countDocuments({}), 2);
    t.equal(await engine.purgeExpired!(), 0);
  });

  t.test('writing a key again without expiry drops its expiry fields (set, setMany and append)', async (t) => {
    const { engine, clock, collection } = open(t);
    await engine.set(bytes('k'), blob('old', START + 1_000));
    await engine.set(bytes('k'), blob('new'));
    await engine.setMany([[bytes('m'), blob('old', START + 1_000)]]);
    await engine.setMany([[bytes('m'), blob('new')]]);
    await engine.append!.append(bytes('a'), blob('old', START + 1_000));
    t.ok((await collection.findOne({ _id: 'a' }))?.expiresAt, 'an expiring version sets expiresAt on the entry');
    await engine.append!.append(bytes('a'), blob('new'));
    clock.now = START + 5_000;
    t.same(texts(await collect(engine.keys())), ['a', 'k', 'm']);
    t.equal(await engine.purgeExpired!(), 0);
    t.equal(await collection.countDocuments({ expiresAt: { $exists: true } }), 0);
  });

  t.test('a readonly stash may not purge', async (t) => {
    const { engine, context } = open(t);
    await engine.set(bytes('k'), blob('v', START + 1_000));
    const readonly = engineFactory('mongo')({ ...context, readonly: true });
    t.teardown(() => readonly.close());
    await t.rejects(readonly.purgeExpired!(), ReadOnlyError);
  });

  t.test('the TTL index: made on the first expiring write where the server takes it', async (t) => {
    const { engine, collection } = open(t);
    await engine.set(bytes('k'), blob('v', START + 1_000));
    const offered = await (engine as Engine & { expiryIndexes(): Promise<ExpiryIndexes | undefined> }).expiryIndexes();
    const indexes = (await collection.listIndexes().toArray()) as {
      name?: string;
      key?: unknown;
      expireAfterSeconds?: number;
    }[];
    const ttl = indexes.find((index) => index.name === 'hashstash_purge_at');
    const build = await raw
      .db('admin')
      .command({ buildInfo: 1 })
      .catch(() => ({}));
    t.comment(
      `server ${String((build as { ferretdbVersion?: string; version?: string }).ferretdbVersion ?? (build as { version?: string }).version)}: ` +
        `TTL index ${offered?.ttl ? 'taken' : 'refused'}; indexes: ${JSON.stringify(indexes.map((index) => [index.name, index.expireAfterSeconds]))}`,
    );
    if (offered?.ttl) {
      t.equal(ttl?.expireAfterSeconds, 0, 'the TTL index is on purgeAt, expireAfterSeconds 0');
      t.same(ttl?.key, { purgeAt: 1 });
    } else {
      t.equal(
        ttl?.expireAfterSeconds,
        undefined,
        'a server that refused it has no TTL index; readers filter and purge sweeps',
      );
    }
    t.equal(await engine.has(bytes('k')), true);
  });

  t.test('a server that refuses TTL indexes: the engine goes on with filter and sweep', async (t) => {
    const refusing = {
      createIndex: async (_keys: object, options: { expireAfterSeconds?: number }) => {
        if (options.expireAfterSeconds !== undefined) throw new Error('unsupported index option expireAfterSeconds');
        return 'ok';
      },
      listIndexes: () => ({ toArray: async () => [] }),
    } as unknown as Collection<StoredDocument>;
    t.same(await ensureExpiryIndexes(refusing), { ttl: false });
    const dropping = {
      createIndex: async () => 'ok',
      listIndexes: () => ({ toArray: async () => [{ name: 'hashstash_purge_at' }] }),
    } as unknown as Collection<StoredDocument>;
    t.same(
      await ensureExpiryIndexes(dropping),
      { ttl: false },
      'an option the server takes and drops counts as refused',
    );
  });

  t.test('stats: entries as size() counts them, bytes from collStats', async (t) => {
    const { engine, clock } = open(t);
    t.same(await engine.stats!(), { entries: 0, bytesUsed: 0, bytesReserved: 0 }, 'a stash not written yet');
    await engine.set(bytes('a'), blob('x'.repeat(10_000), START + 1_000));
    await engine.set(bytes('b'), blob('y'.repeat(10_000)));
    const stats = await engine.stats!();
    t.comment(JSON.stringify(stats));
    t.equal(stats.entries, 2);
    t.ok(stats.bytesUsed! >= 20_000, `bytesUsed ${stats.bytesUsed}`);
    t.ok(stats.bytesReserved! > 0, `bytesReserved ${stats.bytesReserved}`);
    clock.now = START + 1_000;
    t.equal((await engine.stats!()).entries, 1);
  });
}
