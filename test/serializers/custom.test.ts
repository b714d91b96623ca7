/**
 * Serializer objects of the user's own: `serializer: { name, serialize, deserialize }`. The name is written with every
 * blob (after the header's custom-serializer id) and names the settings folder; a reader without it, or with another,
 * gets a typed error naming it, never a wrong value.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  ConfigError,
  DecodeError,
  HashStash,
  SerializationError,
  UnknownSerializerError,
  type CustomSerializer,
} from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { collect } from '../helpers/collect.js';

/** A format of "user records": `id|name` lines; anything else is refused. */
const users: CustomSerializer = {
  name: 'protobuf-user',
  serialize(value) {
    const { id, name } = value as { id: number; name: string };
    if (typeof id !== 'number' || typeof name !== 'string') throw new TypeError('not a user');
    return Buffer.from(`${id}|${name}`);
  },
  deserialize(bytes) {
    const [id, name] = Buffer.from(bytes).toString().split('|');
    if (name === undefined) throw new TypeError('not a user record');
    return { id: Number(id), name };
  },
};

const root = () => mkdtempSync(join(tmpdir(), 'hashstash-custom-'));

for (const engine of ['lmdb', 'sqlite', 'memory', 'pairtree'] as const) {
  t.test(`${engine}: values go through the serializer object, its name in the settings and the blobs`, async (t) => {
    await using stash = new HashStash({ engine, root: root(), serializer: users });
    await stash.set('ada', { id: 1, name: 'Ada' });
    await stash.update([['bob', { id: 2, name: 'Bob' }]]);
    t.same(await stash.get('ada'), { id: 1, name: 'Ada' });
    t.same(await stash.getMany(['bob', 'nobody']), [{ id: 2, name: 'Bob' }, undefined]);
    t.equal(stash.options.serializer, 'protobuf-user');
    t.match(stash.path, /\.protobuf-user\.lz4$/);
    for await (const [, blob] of stash.rawEntries())
      t.equal(String.fromCharCode(blob[3]), 'U', 'the header says: a custom serializer');
    await t.rejects(stash.set('x', 'not a user'), SerializationError);
  });
}

t.test('the name alone reopens it in this thread; a stash without it elsewhere gets an error naming it', async (t) => {
  const where = root();
  {
    await using stash = new HashStash({ root: where, serializer: users });
    await stash.set('ada', { id: 1, name: 'Ada' });
    await using again = new HashStash({ ...stash.options });
    t.same(await again.get('ada'), { id: 1, name: 'Ada' });
  }
  const script = `
    import { HashStash } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
    try { new HashStash({ root: ${JSON.stringify(where)}, serializer: 'protobuf-user' }); console.log('opened'); }
    catch (error) { console.log(error.constructor.name, error.message); }`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString();
  t.match(
    output,
    /^ConfigError unknown serializer 'protobuf-user'.*\{ name: 'protobuf-user', serialize, deserialize \}/,
  );
});

t.test(
  'a blob of one serializer read by a stash with another is UnknownSerializerError naming the writer',
  async (t) => {
    await using written = new HashStash({ root: root(), serializer: users });
    await written.set('ada', { id: 1, name: 'Ada' });
    const [[, blob]] = await collect(written.rawEntries());
    await using plain = new HashStash({ root: root() });
    const error = t.throws(() => void plain.decodeValue(blob)) as UnknownSerializerError;
    t.type(error, UnknownSerializerError);
    t.type(error, DecodeError);
    t.equal(error.serializer, 'protobuf-user');
    t.match(error.message, /'protobuf-user'/);
    const other: CustomSerializer = { name: 'other', serialize: () => new Uint8Array(), deserialize: () => null };
    await using another = new HashStash({ root: root(), serializer: other });
    t.throws(() => void another.decodeValue(blob), { name: 'UnknownSerializerError', serializer: 'protobuf-user' });

    const long = 'x'.repeat(1000);
    await written.set('long', { id: 2, name: long });
    const entries = await collect(written.rawEntries());
    const [, compressed] = entries.find(([key]) => written.decodeKey(key) === 'long')!;
    t.throws(() => void plain.decodeValue(compressed), { name: 'UnknownSerializerError', serializer: 'protobuf-user' });
  },
);

t.test('what the serializer object throws or returns is checked', async (t) => {
  const broken: CustomSerializer = {
    name: 'broken',
    serialize: (value) => (value === 'bad' ? ('text' as unknown as Uint8Array) : Buffer.from(String(value))),
    deserialize: () => {
      throw new RangeError('cannot');
    },
  };
  await using stash = new HashStash({ engine: 'memory', root: root(), serializer: broken });
  await t.rejects(stash.set('k', 'bad'), SerializationError);
  await stash.set('k', 'fine');
  const error: unknown = await stash.get('k').then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  t.type(error, DecodeError);
  t.match((error as Error).message, /'broken'.*cannot/);
  t.type((error as Error).cause, RangeError);
});

t.test('serializer objects are checked when the stash is made', async (t) => {
  const make = (serializer: unknown) => () =>
    new HashStash({ root: root(), serializer: serializer as CustomSerializer });
  t.throws(make({ ...users, name: 'hashstash' }), ConfigError, 'a built-in name');
  t.throws(make({ ...users, name: 'a.b' }), ConfigError, 'a dot would split the settings folder');
  t.throws(make({ ...users, name: '' }), ConfigError);
  t.throws(make({ name: 'x', serialize: users.serialize }), ConfigError, 'no deserialize');
  t.throws(make('never-registered'), { name: 'ConfigError', message: /never-registered/ });
});

t.test(
  'stash.map on a stash with a serializer object: threads get hashstash bytes, the stash stores its own',
  async (t) => {
    const numbers: CustomSerializer = {
      name: 'numbers',
      serialize: (value) => Buffer.from(JSON.stringify(value)),
      deserialize: (bytes) => JSON.parse(Buffer.from(bytes).toString()) as unknown,
    };
    await using stash = new HashStash({ root: root(), serializer: numbers });
    t.same(await stash.map((n: number) => n * 2, [1, 2, 3], { numProc: 1 }).all(), [2, 4, 6]);
    t.same(await stash.run((n: number) => n * 2, 3), 6, 'stored where stash.run finds it');
  },
);

t.test('the command line names the serializer it does not have', async (t) => {
  const stash = new HashStash({ root: root(), serializer: users });
  await stash.set('ada', { id: 1, name: 'Ada' });
  await stash.close();
  const run = await runCli(['keys', stash.path]);
  t.equal(run.code, 1);
  t.match(run.stderr, /unknown serializer 'protobuf-user'/);
});
