// Cutting a stream into batches of whole lines, and decoding long batches window by window, keep lines whole and
// line numbers right.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { HashStash } from '../../src/index.js';
import { lineBatches } from '../../src/load/input.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
  await Promise.resolve();
}

async function cut(maxLines: number, maxBytes: number, ...parts: string[]) {
  const batches: [string, number][] = [];
  for await (const { bytes, lines } of lineBatches(
    chunks(...parts),
    maxLines,
    maxBytes,
    (size) => new Uint8Array(size),
  ))
    batches.push([Buffer.from(bytes).toString(), lines]);
  return batches;
}

t.test('batches end at a line end, by line count or by bytes, whatever the chunks', async (t) => {
  t.same(await cut(2, 1000, 'a\nb', 'b\nc\n', 'dd'), [
    ['a\nbb\n', 2],
    ['c\ndd', 2],
  ]);
  t.same(
    await cut(10, 4, 'aaaaaa\nb\nc\n'),
    [
      ['aaaaaa\n', 1],
      ['b\nc\n', 2],
    ],
    'a line longer than maxBytes is whole',
  );
  t.same(await cut(10, 1000), [], 'nothing in, nothing out');
  t.same(
    await cut(1, 1000, '\n\n'),
    [
      ['\n', 1],
      ['\n', 1],
    ],
    'blank lines count',
  );
});

t.test('a batch grows past the first buffer', async (t) => {
  const long = 'x'.repeat(3 * 1024 * 1024);
  t.same(await cut(10, 64 * 1024 * 1024, `${long}\nshort\n`), [[`${long}\nshort\n`, 2]]);
});

t.test('long batches are decoded window by window: long lines, and the line number of bad UTF-8', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, engine: 'lmdb' });
  t.teardown(() => stash.close());
  const lines = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ id: i, pad: 'é'.repeat(i % 50) }));
  lines[7] = JSON.stringify({ id: 7, pad: 'y'.repeat(100_000) });
  const good = join(root, 'good.ndjson');
  writeFileSync(good, `${lines.join('\n')}\n`);
  for (const workers of [0, 1]) {
    const result = await stash.load(good, { key: 'id', workers });
    t.equal(result.records, 2_000);
    t.equal(((await stash.get(7)) as { pad: string }).pad.length, 100_000, 'a line longer than a window');
    t.equal(((await stash.get(1_999)) as { pad: string }).pad, 'é'.repeat(1_999 % 50));
  }
  const bad = join(root, 'bad.ndjson');
  const bytes = Buffer.from(`${lines.join('\n')}\n`);
  const at = bytes.indexOf(Buffer.from('{"id":1500,'));
  bytes[at + 2] = 0xff;
  writeFileSync(bad, bytes);
  await t.rejects(stash.load(bad, { key: 'id', workers: 1 }), { line: 1_501, message: /UTF-8/ });
});

t.test('progress: true reports on stderr (a line at the end when it is not a terminal)', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, engine: 'lmdb' });
  t.teardown(() => stash.close());
  const file = join(root, 'a.ndjson');
  writeFileSync(file, '{"id":1}\n{"id":2}\n');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  try {
    await stash.load(file, { key: 'id', workers: 0, progress: true });
  } finally {
    process.stderr.write = write;
  }
  t.match(written.join(''), /stash\.load \(input bytes\): 18\/18/);
});
