// Every command of the command line on a local (lmdb) stash, run as the real binary: ls, keys, get, stats, export
// (jsonl and csv), import, clear and purge-expired, with their output and exit codes. An export imported into a fresh
// stash gives back equal keys and values (Maps, Dates, BigInts, undefined, objects with a "~" key of their own) and
// the same expiries.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { spawn } from 'node:child_process';
import { HashStash } from '../../src/index.js';
import { CLI_BIN, runCli } from '../helpers/cli.js';

const dir = await mkdtemp(join(tmpdir(), 'hashstash-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const home = join(dir, 'home');
const root = join(dir, 'stashes');
const cli = (...args: string[]) => runCli(args, { home });

const ENTRIES: [unknown, unknown][] = [
  ['plain', { a: 1, b: [1, 2, 'x'], c: null }],
  [
    { complex: new Map<unknown, unknown>([[1, 'a']]) },
    { when: new Date(5), big: 12n, nothing: undefined, nested: { m: new Map([['k', new Set([1n, -0])]]) } },
  ],
  ['tilde', { '~': 'Date', v: 3 }],
  ['nested tilde', { inner: { '~': 'x', v: [1] } }],
  ['undefined', undefined],
  [42, -0],
  [new Date(7), [NaN, Infinity, 'two\nlines, "quoted"']],
  ['bytes', new Uint8Array([1, 2, 250])],
  ['long', 'compressible text '.repeat(100)],
];

async function openStash(name: string): Promise<HashStash<unknown, unknown>> {
  return new HashStash<unknown, unknown>({ root, name });
}

const original = await openStash('original');
await original.setMany(ENTRIES);
await original.set('expiring', { in: 'an hour' }, { ttl: '1h' });
const path = original.path;
await original.close();

/** Every entry of a stash with its expiry, keyed by its export text (the order stashes list keys in may differ). */
async function contents(stash: HashStash<unknown, unknown>): Promise<Map<string, [unknown, unknown, unknown]>> {
  const found = new Map<string, [unknown, unknown, unknown]>();
  const { hs1Text } = await import('../../src/cli/export-lines.js');
  for await (const [key, value] of stash.entries()) found.set(hs1Text(key), [key, value, await stash.expiresAt(key)]);
  return found;
}

t.test('ls lists the stash folders under a root, with entries', async (t) => {
  const run = await cli('ls', root);
  t.equal(run.code, 0);
  t.equal(run.stderr, '');
  t.match(run.stdout, `${path}\tlmdb.hashstash.lz4\t${ENTRIES.length + 1} entries\t`);
  const json = await cli('ls', root, '--json');
  t.equal(json.code, 0);
  const rows = json.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  t.match(rows, [
    { stash: path, name: 'original', engine: 'lmdb', serializer: 'hashstash', entries: ENTRIES.length + 1 },
  ]);
  const empty = await cli('ls', join(dir, 'no-such-root'));
  t.equal(empty.code, 0);
  t.equal(empty.stdout, '');
});

t.test('ls without a root lists the default root in the cache home', async (t) => {
  const home2 = join(dir, 'home2');
  const inHome = new HashStash({ root: join(home2, 'default_stash'), name: 'in-home' });
  await inHome.set('k', 1);
  await inHome.close();
  const run = await runCli(['ls', '--json'], { home: home2 });
  t.equal(run.code, 0);
  t.match(JSON.parse(run.stdout), { name: 'in-home', entries: 1 });
});

t.test('keys lists every key in the export encoding', async (t) => {
  const run = await cli('keys', path);
  t.equal(run.code, 0);
  const keys = run.stdout.trim().split('\n');
  t.equal(keys.length, ENTRIES.length + 1);
  t.ok(keys.includes('"plain"'));
  t.ok(keys.includes('{"~":"hs1","v":42}'));
  t.ok(keys.includes('{"~":"hs1","v":{"complex":{"~":"Map","v":[[1,"a"]]}}}'));
  const byOptions = await cli('keys', '--root', root, '--name', 'original');
  t.equal(byOptions.stdout, run.stdout, 'the same stash named by options');
});

t.test('get prints one value; a key with nothing under it exits 1', async (t) => {
  const plain = await cli('get', path, '"plain"');
  t.equal(plain.code, 0);
  t.same(JSON.parse(plain.stdout), { a: 1, b: [1, 2, 'x'], c: null });
  const tagged = await cli('get', path, '{"~":"hs1","v":{"complex":{"~":"Map","v":[[1,"a"]]}}}');
  t.equal(tagged.code, 0);
  t.match(tagged.stdout, '"big":{"~":"bigint","v":"12"}');
  const byOptions = await cli('get', '"plain"', '--root', root, '--name', 'original');
  t.equal(byOptions.stdout, plain.stdout);
  const missing = await cli('get', path, '"nope"');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no entry under "nope"/);
  t.equal(missing.stdout, '');
  const bad = await cli('get', path, '{not json');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /the key: not a JSON line/);
});

t.test('stats --json parses, with the entries', async (t) => {
  const run = await cli('stats', path, '--json');
  t.equal(run.code, 0);
  const stats = JSON.parse(run.stdout) as Record<string, unknown>;
  t.match(stats, { entries: ENTRIES.length + 1, hits: 0, misses: 0 });
  t.match(stats['stash'], /^LmdbHashStash\(/);
  const text = await cli('stats', path);
  t.match(text.stdout, new RegExp(`^entries: ${ENTRIES.length + 1}$`, 'm'));
});

t.test('export then import into a fresh stash gives back every key, value and expiry', async (t) => {
  const file = join(dir, 'export.jsonl');
  const exported = await cli('export', path, '-o', file);
  t.equal(exported.code, 0);
  t.match(exported.stderr, `exported ${ENTRIES.length + 1} entries`);
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  t.match(JSON.parse(lines[0]), { hashstash: 'export', version: 1, encoding: 'hs1' });
  t.equal(lines.length, ENTRIES.length + 2);
  t.ok(
    lines.some((line) => /^\{"k":"expiring","v":\{"in":"an hour"\},"x":\d+\}$/.test(line)),
    'the expiry as "x"',
  );
  const toStdout = await cli('export', path);
  t.equal(toStdout.stdout, `${lines.join('\n')}\n`, 'the same lines on stdout');

  const fresh = join(root, 'copy', 'lmdb.hashstash.lz4');
  const imported = await cli('import', fresh, file);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout, `imported ${ENTRIES.length + 1} entries`);

  await using before = await openStash('original');
  await using after = await openStash('copy');
  const was = await contents(before);
  const is = await contents(after);
  t.same([...is.keys()].sort(), [...was.keys()].sort());
  for (const [text, [key, value, expiresAt]] of was) {
    const [keyAfter, valueAfter, expiresAfter] = is.get(text)!;
    t.ok(isDeepStrictEqual(keyAfter, key), `key ${text}`);
    t.ok(isDeepStrictEqual(valueAfter, value), `value under ${text}`);
    t.equal(expiresAfter, expiresAt, `expiry of ${text}`);
  }
  t.type(await after.expiresAt('expiring'), 'number');
  t.ok(Object.is(await after.get(42), -0), '-0 stays -0');
  t.strictSame(await after.get('tilde'), { '~': 'Date', v: 3 }, 'an object with its own "~" key stays an object');

  const json = await runCli(['import', file, '--root', root, '--name', 'copy2', '--json'], { home });
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), { imported: ENTRIES.length + 1, expired: 0 });
});

t.test('import skips entries already expired, and names a bad line', async (t) => {
  const file = join(dir, 'hand-written.jsonl');
  await writeFile(
    file,
    [
      '{"hashstash":"export","version":1,"encoding":"hs1","stash":"by hand"}',
      '{"k":"old","v":1,"x":1000}',
      `{"k":"new","v":{"~":"hs1","v":{"~":"Map","v":[["a",{"~":"bigint","v":"5"}]]}},"x":${Date.now() + 3_600_000}}`,
      '{"k":"always","v":[1,2]}',
      '',
    ].join('\n'),
  );
  const run = await runCli(['import', file, '--root', root, '--name', 'by-hand', '--json'], { home });
  t.equal(run.code, 0, run.stderr);
  t.same(JSON.parse(run.stdout), { imported: 2, expired: 1 });
  await using stash = await openStash('by-hand');
  t.same(await stash.get('new'), new Map([['a', 5n]]));
  t.equal(await stash.has('old'), false);

  const bad = join(dir, 'bad.jsonl');
  await writeFile(bad, '{"hashstash":"export","version":1,"encoding":"hs1","stash":"x"}\n{"k":1}\n');
  const failed = await runCli(['import', bad, '--root', root, '--name', 'bad'], { home });
  t.equal(failed.code, 1);
  t.match(failed.stderr, `${bad}:2`);
  const notExport = join(dir, 'not-export.jsonl');
  await writeFile(notExport, '{"key":1,"value":2}\n');
  const refused = await runCli(['import', notExport, '--root', root, '--name', 'bad'], { home });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /not a hashstash export/);
  const missing = await runCli(['import', join(dir, 'none.jsonl'), '--root', root, '--name', 'bad'], { home });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /none\.jsonl/);
});

t.test('export --format csv: key, value and expires_at columns', async (t) => {
  const run = await cli('export', path, '--format', 'csv');
  t.equal(run.code, 0);
  const lines = run.stdout.split('\n');
  t.equal(lines[0], 'key,value,expires_at');
  t.ok(lines.includes('"""plain""","{""a"":1,""b"":[1,2,""x""],""c"":null}",'));
  t.ok(lines.some((line) => /^"""expiring""","\{""in"":""an hour""\}",\d+$/.test(line)));
});

t.test('purge-expired removes the expired entries and keeps the live ones', async (t) => {
  // Written by a clock an hour behind: its one-second ttl ran out long ago by the command's clock.
  const behind = new HashStash<string, string>({ root, name: 'expiry', clock: () => Date.now() - 3_600_000 });
  await behind.set('expired', 'old', { ttl: 1_000 });
  await behind.close();
  const stash = new HashStash<string, string>({ root, name: 'expiry' });
  await stash.set('live', 'new', { ttl: '1h' });
  await stash.set('forever', 'always');
  await stash.close();
  const expiryPath = stash.path;

  const run = await cli('purge-expired', expiryPath, '--json');
  t.equal(run.code, 0, run.stderr);
  t.same(JSON.parse(run.stdout), { purged: 1 });
  const again = await cli('purge-expired', expiryPath);
  t.match(again.stdout, /^purged 0 expired entries/);
  const keys = await cli('keys', expiryPath);
  t.same(keys.stdout.trim().split('\n').sort(), ['"forever"', '"live"']);
});

t.test('clear --yes removes every entry', async (t) => {
  const stash = await openStash('to-clear');
  await stash.setMany([
    ['a', 1],
    ['b', 2],
  ]);
  const clearPath = stash.path;
  await stash.close();
  const run = await cli('clear', clearPath, '--yes', '--json');
  t.equal(run.code, 0, run.stderr);
  t.same(JSON.parse(run.stdout), { cleared: 2 });
  const keys = await cli('keys', clearPath);
  t.equal(keys.code, 0);
  t.equal(keys.stdout, '');
});

t.test('a reader that goes away (export | head) ends the export quietly, exit 0', async (t) => {
  const stash = await openStash('many');
  await stash.setMany(Array.from({ length: 20_000 }, (_, i) => [`key-${i}`, { i, text: 'x'.repeat(50) }] as const));
  const manyPath = stash.path;
  await stash.close();
  const child = spawn(process.execPath, [CLI_BIN, 'export', manyPath], {
    env: { ...process.env, HASHSTASH_HOME: home },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // The first chunk, then the pipe closes, as `head` closes it.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  t.equal(stderr, '');
});
