import t, { type Test } from 'tap';
import { createMemoryEngine } from '../../src/engines/memory.js';

const bytes = (text: string) => Buffer.from(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : Buffer.from(value).toString());

function open(t: Test) {
  const engine = createMemoryEngine({ path: `${t.testdir()}/append`, namespace: 'append', readonly: false, url: undefined });
  t.equal(engine.capabilities.nativeAppend, true);
  t.equal(engine.capabilities.sharedAcrossThreads, true);
  return { store: engine.sync, versions: engine.sync.append!, engine };
}

t.test('append keeps every version, oldest first, and the latest is the value', async (t) => {
  const { store, versions } = open(t);
  const key = bytes('log');
  t.equal(versions.append(key, bytes('good'), 1000), 1, 'the first version is 1');
  t.equal(versions.append(key, bytes('bad'), 2000), 2);
  t.equal(versions.append(key, bytes('ugly'), 3000), 3);
  t.equal(text(store.get(key)), 'ugly', 'get reads the latest version');
  const all = [...versions.versions(key)];
  t.strictSame(all.map((v) => [v.version, v.timestamp, text(v.value)]), [[1, 1000, 'good'], [2, 2000, 'bad'], [3, 3000, 'ugly']]);
  t.equal(store.size(), 1, 'size counts keys, not versions');
  t.strictSame([...store.keys()].map(text), ['log'], 'keys lists the key once');
  t.strictSame([...store.entries()].map(([k, v]) => [text(k), text(v)]), [['log', 'ugly']]);
});

t.test('delete removes every version; a key set outside append mode has none', async (t) => {
  const { store, versions } = open(t);
  const key = bytes('k');
  versions.append(key, bytes('1'), 1);
  versions.append(key, bytes('2'), 2);
  store.set(bytes('plain'), bytes('p'));
  t.strictSame([...versions.versions(bytes('plain'))], [], 'a plain key has no versions');
  t.equal(store.delete(key), true);
  t.equal(store.get(key), undefined);
  t.strictSame([...versions.versions(key)], [], 'no versions left');
  t.equal(versions.append(key, bytes('again'), 3), 1, 'appending after delete starts at version 1');
  t.equal(store.size(), 2);
  store.clear();
  t.strictSame([...versions.versions(key)], [], 'clear removes versions too');
  t.equal(store.size(), 0);
});

t.test('appendMany appends each entry in turn under one lock', async (t) => {
  const { store, versions } = open(t);
  versions.appendMany!([[bytes('a'), bytes('1')], [bytes('b'), bytes('x')], [bytes('a'), bytes('2')]], 42);
  t.strictSame([...versions.versions(bytes('a'))].map((v) => [v.version, v.timestamp, text(v.value)]), [[1, 42, '1'], [2, 42, '2']]);
  t.equal(text(store.get(bytes('a'))), '2');
  t.equal(store.size(), 2);
});

t.test('appending costs the same whatever the number of versions before', async (t) => {
  const { versions } = open(t);
  const key = bytes('many');
  const time = (count: number) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) versions.append(key, bytes(`v${i}`), i);
    return (performance.now() - start) / count;
  };
  time(2000);
  const early = time(2000);
  time(10_000);
  const late = time(2000);
  t.ok(late < early * 4 + 0.01, `an append after 14,000 versions (${(late * 1000).toFixed(1)} µs) costs about what one after 2,000 did (${(early * 1000).toFixed(1)} µs)`);
  t.equal([...versions.versions(key)].length, 16_000);
});
