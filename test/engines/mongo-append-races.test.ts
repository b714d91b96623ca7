/**
 * mongo append mode against deletes racing appends: what such a race leaves on the server (an entry written back
 * after its versions went, versions left behind after the counter went) is set up here with a raw client, and the
 * next appends must still make `get` read the newest version that `getAll` lists.
 */
import t, { type Test } from 'tap';
import { basename } from 'node:path';
import { MongoClient } from 'mongodb';
import { HashStash } from '../../src/index.js';
import { mongoNames } from '../../src/engines/mongo/store.js';
import { requireServer } from '../helpers/servers.js';

const runDatabase = `hashstash_races_${process.pid}_${Date.now().toString(36)}`;
const sharedUrl = requireServer(t, 'mongo');

if (sharedUrl) {
  const [, hosts, , query] = /^([a-z+]+:\/\/[^/?]+)\/?([^?]*)(?:\?(.*))?$/i.exec(sharedUrl)!;
  const url = `${hosts}/${runDatabase}${query ? `?${query}` : ''}`;
  const raw = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  t.teardown(async () => {
    await raw.db(runDatabase).dropDatabase();
    await raw.close();
  });

  function open(t: Test, root = t.testdir()): HashStash {
    const stash = new HashStash({ engine: 'mongo', url, root, appendMode: true });
    t.teardown(() => stash.close());
    return stash;
  }

  /** The stash's entries and versions collections, read with the raw client. */
  function collections(stash: HashStash) {
    const { database, collection } = mongoNames(url, [stash.root, stash.name, basename(stash.path)].join('/'));
    const db = raw.db(database);
    return {
      entries: db.collection<{ _id: string; n?: number }>(collection),
      versions: db.collection<{ _id: string; n?: number }>(`${collection}.versions`),
    };
  }

  const KEY_ID = '"k"'; // the key 'k' as its document _id
  const ofKey = { _id: { $gt: `${KEY_ID}\u0000`, $lt: `${KEY_ID}\u0001` } };

  t.test('an entry written back after a delete took its versions is overwritten by the next append', async (t) => {
    const stash = open(t);
    for (let i = 1; i <= 5; i++) await stash.set('k', `old ${i}`);
    const { entries, versions } = collections(stash);
    // What an append that took number 5 before a delete leaves when its entry write lands after the delete.
    await versions.deleteMany(ofKey);
    await versions.deleteOne({ _id: KEY_ID });
    t.equal((await entries.findOne({ _id: KEY_ID }))?.n, 5, 'the entry still says version 5');
    await stash.set('k', 'new 1');
    t.equal(await stash.get('k'), 'new 1', 'get reads the new version, not the deleted one');
    await stash.set('k', 'new 2');
    t.equal(await stash.get('k'), 'new 2');
    t.strictSame(await stash.getAll('k'), ['new 1', 'new 2']);
  });

  t.test('versions left behind by a lost counter are numbered past, not collided with again and again', async (t) => {
    const stash = open(t);
    for (let i = 1; i <= 40; i++) await stash.set('k', i);
    const { entries, versions } = collections(stash);
    // A delete that lost its counter before its versions went (or an append racing it) leaves these.
    await versions.deleteOne({ _id: KEY_ID });
    await entries.deleteOne({ _id: KEY_ID });
    await stash.set('k', 'after');
    t.equal(await stash.get('k'), 'after');
    const records = await stash.getAll('k', { withMetadata: true });
    t.equal(records.at(-1)?.version, 41, 'the new version comes after the ones left behind');
    t.equal((await versions.findOne({ _id: KEY_ID }))?.n, 41, 'the counter moved past them in one step');
  });

  t.test(
    'a counter naming a version that is not there is set right by the next append, which follows the highest',
    async (t) => {
      const stash = open(t);
      for (let i = 1; i <= 3; i++) await stash.set('k', i);
      const { versions } = collections(stash);
      // What an older hashstash, which counted a number before inserting it, leaves when the insert failed.
      await versions.updateOne({ _id: KEY_ID }, { $set: { n: 7 } });
      await stash.set('k', 4);
      const records = await stash.getAll('k', { withMetadata: true });
      t.strictSame(
        records.map((r) => [r.version, r.value as unknown]),
        [
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 4],
        ],
        'no gap: version 4 follows version 3',
      );
      t.ok(records[3].timestamp >= records[2].timestamp, 'stamped no earlier than version 3');
      t.equal(
        (await versions.findOne({ _id: KEY_ID }))?.n,
        4,
        'the counter names version 4, so the next append needs no search',
      );
    },
  );

  t.test('delete removes the versions and the counter as well as the entry', async (t) => {
    const stash = open(t);
    for (let i = 1; i <= 3; i++) await stash.set('k', i);
    t.equal(await stash.delete('k'), true);
    const { versions } = collections(stash);
    t.equal(await versions.countDocuments({}), 0, 'no version or counter document is left');
    await stash.set('k', 'again');
    t.strictSame(
      await stash.getAll('k', { withMetadata: true }).then((r) => r.map((v) => [v.version, v.value as unknown])),
      [[1, 'again']],
    );
  });

  t.test('deletes racing appends from two stashes: afterwards get reads the newest version getAll lists', async (t) => {
    const root = t.testdir();
    const writer = open(t, root);
    const deleter = open(t, root);
    let stop = false;
    const appending = (async () => {
      for (let i = 0; !stop; i++) await writer.set('k', i);
    })();
    for (let i = 0; i < 30; i++) await deleter.delete('k');
    stop = true;
    await appending;
    for (const value of ['x', 'y']) {
      await writer.set('k', value);
      t.equal(await writer.get('k'), value, `get reads the append of ${value}`);
      t.equal((await writer.getAll('k')).at(-1), value, `getAll ends with ${value}`);
    }
  });
}
