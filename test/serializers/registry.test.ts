import t from 'tap';
import { ConfigError, DecodeError } from '../../src/errors.js';
import { deserialize, getSerializer, serialize, serializerById, serializerNames } from '../../src/serializers/index.js';

t.test('the registry knows the three serializers by name and by header id', async (t) => {
  t.strictSame([...serializerNames], ['hashstash', 'devalue', 'v8']);
  const ids: Record<string, string> = { hashstash: 'h', devalue: 'd', v8: 'v' };
  for (const name of serializerNames) {
    const serializer = getSerializer(name);
    t.equal(serializer.name, name);
    t.equal(String.fromCharCode(serializer.id), ids[name], `${name} id`);
    t.equal(serializerById(serializer.id), serializer);
  }
});

t.test('an unknown name is a ConfigError naming it and listing the valid ones', async (t) => {
  for (const name of ['json', 'pickle', 'V8', '']) {
    const error = t.throws(() => getSerializer(name), ConfigError, `"${name}"`) as unknown as Error;
    t.match(error.message, JSON.stringify(name));
    t.match(error.message, 'hashstash, devalue, v8');
  }
  t.throws(() => serialize(1, 'json' as never), ConfigError);
  t.throws(() => deserialize(new Uint8Array(1), 'json' as never), ConfigError);
});

t.test('an unknown id in a header is a DecodeError', async (t) => {
  t.throws(() => serializerById(0x6a), DecodeError);
});

t.test('serialize and deserialize default to the hashstash serializer', async (t) => {
  const value = { a: [1, 2], when: new Date(0) };
  const bytes = serialize(value);
  t.same(Buffer.from(bytes), Buffer.from(getSerializer('hashstash').serialize(value)));
  t.same(deserialize(bytes), value);
  for (const name of serializerNames) t.same(deserialize(serialize(value, name), name), value, name);
  t.throws(() => deserialize('text' as never), ConfigError);
});

t.test('stored functions stay text unless trustCode is passed through', async (t) => {
  const add = (a: number, b: number) => a + b;
  for (const name of ['hashstash', 'devalue'] as const) {
    const bytes = serialize({ add }, name);
    t.equal(
      typeof (deserialize(bytes, name) as { add: unknown }).add,
      'object',
      `${name}: a StoredFunction by default`,
    );
    t.equal((deserialize(bytes, name, { trustCode: true }) as { add: typeof add }).add(2, 3), 5, `${name}: trustCode`);
  }
});
