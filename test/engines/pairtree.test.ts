import t, { type Test } from 'tap';
import { stashConformance } from 'hashstash/test-suite';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DecodeError, encodeKey, hashKey, HashStash, HashStashError, type HashStashOptions } from '../../src/index.js';
import { collect } from '../helpers/collect.js';
import { appendSuite } from '../helpers/append-suite.js';

// A raw `node` run times out after 30 s unless told; the concurrency and streaming tests need longer on busy machines.
t.setTimeout(300_000);

// 25,000 entries of 4 KB: each pairtree entry costs three folders and two files, so 100,000 would spend minutes
// creating and removing inodes; the stream still carries ~100 MB of values, enough to show it holds none of them.
stashConformance({
  test: t.test.bind(t),
  engine: 'pairtree',
  persistent: true,
  sync: true,
  onDisk: true,
  bigCount: 25_000,
});
appendSuite(t, { engine: 'pairtree', persistent: true, sync: true });

const indexUrl = new URL('../../src/index.js', import.meta.url).href;

/** The value the concurrent writers store under `shared-<i>`. */
interface Shared {
  readonly i: number;
  readonly worker: number;
  readonly pad: string;
}

function open<K = unknown, V = unknown>(t: Test, options: Partial<HashStashOptions> = {}): HashStash<K, V> {
  const stash = new HashStash<K, V>({ root: t.testdir(), engine: 'pairtree', ...options });
  t.teardown(() => stash.close());
  return stash;
}

/** The documented layout: `<stash.path>/<hash[0:2]>/<hash[2:4]>/<hash[4:]>/`, hash = sha256 hex of the encoded key. */
function entryFolder(stash: HashStash, key: unknown): string {
  const hash = hashKey(encodeKey(key));
  return join(stash.path, hash.slice(0, 2), hash.slice(2, 4), hash.slice(4));
}

/** Every file below `folder`, depth first. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path));
    else files.push(path);
  }
  return files;
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** A child node process running an ES module body with `input` as JSON in HASHSTASH_CHILD. */
function child(
  body: string,
  input: unknown,
): { process: ChildProcess; lines: AsyncIterable<string>; exit: Promise<number | null>; stderr: () => string } {
  const proc = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const input = JSON.parse(process.env.HASHSTASH_CHILD);
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    ${body}
  `,
    ],
    { env: { ...process.env, HASHSTASH_CHILD: JSON.stringify(input) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  async function* lines(): AsyncGenerator<string> {
    let buffered = '';
    for await (const chunk of proc.stdout.setEncoding('utf8')) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        yield buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
      }
    }
  }
  return { process: proc, lines: lines(), exit, stderr: () => stderr };
}

async function nextLine(lines: AsyncIterable<string>): Promise<string | undefined> {
  for await (const line of lines) return line;
  return undefined;
}

t.test('an entry is <hash[0:2]>/<hash[2:4]>/<hash[4:]>/ holding the key bytes and the stored blob', async (t) => {
  const stash = open(t);
  const key = { user: 'ada', tags: new Set(['b', 'a']) };
  await stash.set(key, [1, 2, 3]);
  const folder = entryFolder(stash, key);
  t.strictSame(readdirSync(folder).sort(), ['key', 'value']);
  t.ok(Buffer.from(encodeKey(key)).equals(readFileSync(join(folder, 'key'))), 'key holds the encoded key');
  const [[, rawValue]] = await collect(stash.rawEntries());
  t.ok(Buffer.from(rawValue).equals(readFileSync(join(folder, 'value'))), 'value holds the stored blob');
});

t.test('four processes writing at once lose nothing, and a reader never sees a torn value', async (t) => {
  const root = t.testdir();
  const writers = 4;
  const perWriter = 500;
  const shared = 25;
  const go = join(root, 'go');
  const children = Array.from({ length: writers }, (_, worker) =>
    child(
      `
    const { existsSync } = await import('node:fs');
    const stash = new HashStash({ root: input.root, name: 'concurrent', engine: 'pairtree', compress: 'raw' });
    console.log('ready');
    while (!existsSync(input.go)) await new Promise((resolve) => setTimeout(resolve, 2));
    for (let i = 0; i < input.perWriter; i++) {
      await stash.set('w' + input.worker + '-' + i, { worker: input.worker, i });
      if (i < input.shared) await stash.set('shared-' + i, { worker: input.worker, i, pad: String(input.worker).repeat(65536) });
    }
    await stash.close();
  `,
      { root, go, worker, perWriter, shared },
    ),
  );
  t.teardown(() => {
    for (const c of children) c.process.kill('SIGKILL');
  });
  for (const c of children) t.equal(await nextLine(c.lines), 'ready', 'a writer started');
  writeFileSync(go, '');

  const reader = new HashStash<string, Shared | undefined>({
    root,
    name: 'concurrent',
    engine: 'pairtree',
    compress: 'raw',
  });
  t.teardown(() => reader.close());
  const validShared = (value: Shared | undefined, i: number) =>
    value?.i === i && value.worker >= 0 && value.worker < writers && value.pad === String(value.worker).repeat(65536);
  let running = true;
  const exits = Promise.all(children.map((c) => c.exit)).finally(() => {
    running = false;
  });
  let reads = 0;
  const failures: string[] = [];
  while (running) {
    for (let i = 0; i < shared; i++) {
      try {
        const value = await reader.get(`shared-${i}`);
        reads++;
        if (value !== undefined && !validShared(value, i)) failures.push(`shared-${i} read a wrong value`);
      } catch (error) {
        failures.push(`shared-${i}: ${(error as Error).message}`);
      }
    }
    try {
      await reader.size();
    } catch (error) {
      failures.push(`size: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const codes = await exits;
  t.strictSame(
    codes,
    children.map(() => 0),
    `every writer exited cleanly${codes.some(Boolean) ? `: ${children.map((c) => c.stderr()).join('\n')}` : ''}`,
  );
  t.strictSame(failures.slice(0, 5), [], `${reads} reads during the writes, none failed or torn`);

  t.equal(await reader.size(), writers * perWriter + shared, 'size counts every key exactly once');
  const distinctKeys = [];
  for (let worker = 0; worker < writers; worker++)
    for (let i = 0; i < perWriter; i++) distinctKeys.push(`w${worker}-${i}`);
  const values = await reader.getMany(distinctKeys);
  const lost = distinctKeys.filter(
    (key, n) => values[n]?.i !== Number(key.split('-')[1]) || `w${values[n]?.worker}` !== key.split('-')[0],
  );
  t.strictSame(lost, [], `all ${writers * perWriter} distinct keys read back their own value`);
  const sharedValues = await reader.getMany(Array.from({ length: shared }, (_, i) => `shared-${i}`));
  t.ok(
    sharedValues.every((value, i) => validShared(value, i)),
    'each key written by all four holds one whole write',
  );
  t.strictSame(
    filesUnder(join(root, 'concurrent')).filter((path) => !['key', 'value'].includes(baseName(path))),
    [],
    'no temp files left behind',
  );
});

t.test('a corrupt value file gives DecodeError for that key while the others still read', async (t) => {
  const corruptions: [string, (file: string) => void][] = [
    ['truncated to half', (file) => truncateSync(file, Math.floor(statSync(file).size / 2))],
    ['missing its last byte', (file) => truncateSync(file, statSync(file).size - 1)],
    ['empty', (file) => truncateSync(file, 0)],
    [
      'garbage bytes',
      (file) => writeFileSync(file, Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff))),
    ],
    [
      'one flipped byte in the middle',
      (file) => {
        const bytes = readFileSync(file);
        bytes[bytes.length >> 1] ^= 0x20;
        writeFileSync(file, bytes);
      },
    ],
    ['one extra byte at the end', (file) => writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([0])]))],
  ];
  for (const [label, corrupt] of corruptions) {
    for (const [size, victim] of [
      ['small', { n: 1 }],
      ['large', { text: 'v'.repeat(5_000), n: 2 }],
    ] as const) {
      await t.test(`${label}, ${size} value`, async (t) => {
        const stash = open(t);
        await stash.set('victim', victim);
        await stash.set('neighbour', 'fine');
        await stash.set({ other: 1 }, [1]);
        corrupt(join(entryFolder(stash, 'victim'), 'value'));
        await t.rejects(() => stash.get('victim'), DecodeError, 'get rejects with DecodeError');
        await t.rejects(() => stash.get('victim', 'fallback'), DecodeError, 'a fallback does not hide corruption');
        t.throws(
          () => {
            stash.sync.get('victim');
          },
          DecodeError,
          'so does the sync view',
        );
        t.equal(await stash.get('neighbour'), 'fine', 'other keys still read');
        t.strictSame(await stash.get({ other: 1 }), [1]);
        t.equal(await stash.size(), 3, 'size still counts the damaged entry');
        await stash.set('victim', 'repaired');
        t.equal(await stash.get('victim'), 'repaired', 'overwriting repairs the entry');
      });
    }
  }
});

t.test('size, has and keys never read value files', async (t) => {
  const stash = open(t);
  const keys = ['a', { b: 2 }, [3], 4n, new Date(5)];
  for (const key of keys) await stash.set(key, 'x'.repeat(1_000));
  // Tests run as root, so chmod 000 would not stop reads; a folder where the value file was makes every read fail.
  const valueFiles = filesUnder(stash.path).filter((path) => baseName(path) === 'value');
  t.equal(valueFiles.length, keys.length);
  for (const file of valueFiles) {
    rmSync(file);
    mkdirSync(file);
  }
  t.equal(await stash.size(), keys.length, 'size works');
  t.equal(stash.sync.size(), keys.length);
  t.strictSame(await collect(stash.keys()), await collect(stash.keys()), 'keys() works');
  const listed = await collect(stash.keys());
  t.equal(listed.length, keys.length);
  for (const key of keys)
    t.ok(
      listed.some((got) => Buffer.from(encodeKey(got)).equals(Buffer.from(encodeKey(key)))),
      `keys() lists ${inspect(key)}`,
    );
  t.equal(await stash.has('a'), true, 'has works');
  // Not t.rejects(fn, HashStashError): tap matches an error class by name, so a subclass would not match.
  const error = await stash.get('a').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(error instanceof HashStashError, 'an unreadable value is a typed error, never a value', { got: String(error) });
});

t.test('the stash folder', async (t) => {
  t.test('a missing root directory is created on the first write, not before', async (t) => {
    const root = join(t.testdir(), 'not', 'yet', 'there');
    const stash = new HashStash({ root, engine: 'pairtree' });
    t.teardown(() => stash.close());
    t.equal(existsSync(root), false, 'constructing touches nothing');
    t.equal(await stash.get('k'), undefined);
    t.equal(await stash.size(), 0);
    t.equal(existsSync(root), false, 'reading an absent stash creates nothing');
    await stash.set('k', 'v');
    t.ok(statSync(stash.path).isDirectory());
    t.equal(await stash.get('k'), 'v');
  });

  t.test('a root that is a file gives a typed error naming the path', async (t) => {
    const root = join(t.testdir(), 'a-file');
    writeFileSync(root, 'not a folder');
    const stash = new HashStash({ root, engine: 'pairtree' });
    t.teardown(() => stash.close());
    const names = (error: unknown) => {
      const { message, location } = error as HashStashError & { location?: string };
      return error instanceof HashStashError && (message.includes(root) || (location ?? '').includes(root));
    };
    for (const [label, operation] of [
      ['set', () => stash.set('k', 'v')],
      ['get', () => stash.get('k')],
      ['size', () => stash.size()],
    ] as const) {
      const error = await (operation as () => Promise<unknown>)().then(
        () => undefined,
        (error: unknown) => error,
      );
      t.ok(names(error), `${label} rejects with a HashStashError naming ${root}`, { got: String(error) });
    }
    t.equal(readFileSync(root, 'utf8'), 'not a folder', 'the file is untouched');
  });

  // Tests run as root, so a chmod'ed folder would still be writable; `readonly: true` stands in for a read-only location.
  t.test('a readonly stash over a missing folder reads as empty and creates nothing', async (t) => {
    const root = join(t.testdir(), 'absent');
    const stash = new HashStash({ root, engine: 'pairtree', readonly: true });
    t.teardown(() => stash.close());
    t.equal(await stash.get('k'), undefined);
    t.equal(await stash.has('k'), false);
    t.equal(await stash.size(), 0);
    t.strictSame(await collect(stash.keys()), []);
    t.equal(existsSync(root), false);
  });
});

t.test('temp files', async (t) => {
  t.test('writes, overwrites and deletes leave no temp files and no empty folders', async (t) => {
    const stash = open(t);
    for (let i = 0; i < 50; i++) await stash.set(`k${i}`, { i });
    for (let i = 0; i < 50; i++) await stash.set(`k${i}`, { i, again: true });
    await stash.setMany(Array.from({ length: 50 }, (_, i) => [`m${i}`, i] as [string, number]));
    for (let i = 0; i < 10; i++) stash.sync.set(`s${i}`, i);
    const names = new Set(filesUnder(stash.path).map(baseName));
    t.strictSame([...names].sort(), ['key', 'value'], 'only key and value files');
    for await (const key of stash.keys()) await stash.delete(key);
    t.equal(await stash.size(), 0);
    t.strictSame(readdirSync(stash.path), [], 'deleting every key leaves an empty stash folder');
  });

  t.test("a crashed writer's leftover temp files are ignored", async (t) => {
    const stash = open(t);
    await stash.set('whole', 'the real value');
    const leftover = '.tmp-99999-0-0-crash';
    // A crash between writing the temp value file and renaming it, in an existing entry and in a new one.
    writeFileSync(join(entryFolder(stash, 'whole'), leftover), 'half a blob');
    const newFolder = entryFolder(stash, 'never finished');
    mkdirSync(newFolder, { recursive: true });
    writeFileSync(join(newFolder, 'key'), encodeKey('never finished'));
    writeFileSync(join(newFolder, leftover), 'half a blob');
    writeFileSync(join(stash.path, leftover), 'stray');

    t.equal(await stash.get('whole'), 'the real value');
    t.equal(await stash.has('never finished'), false);
    t.equal(await stash.get('never finished'), undefined);
    t.equal(await stash.size(), 1);
    t.strictSame(await collect(stash.keys()), ['whole']);
    t.strictSame(await collect(stash.values()), ['the real value']);
    await stash.set('never finished', 'now finished');
    t.equal(await stash.get('never finished'), 'now finished', 'the key can be written after the crash');
    t.equal(await stash.size(), 2);
  });

  t.test('a writer killed mid-write leaves a whole value', async (t) => {
    const root = t.testdir();
    const writer = child(
      `
      const stash = new HashStash({ root: input.root, engine: 'pairtree', compress: 'raw' });
      for (let n = 0; ; n++) {
        await stash.set('hot', { n, payload: String(n % 10).repeat(1 << 20) });
        if (n === 0) console.log('written');
      }
    `,
      { root },
    );
    t.teardown(() => {
      writer.process.kill('SIGKILL');
    });
    t.equal(await nextLine(writer.lines), 'written');
    await new Promise((resolve) => setTimeout(resolve, 150));
    writer.process.kill('SIGKILL');
    await writer.exit;
    const stash = new HashStash<string, { payload: string; n: number } | undefined>({
      root,
      engine: 'pairtree',
      compress: 'raw',
    });
    t.teardown(() => stash.close());
    const value = await stash.get('hot');
    t.ok(value && value.payload === String(value.n % 10).repeat(1 << 20), `a whole value (write #${value?.n})`);
    t.equal(await stash.size(), 1);
    t.strictSame(await collect(stash.keys()), ['hot']);
    const temps = filesUnder(stash.path).filter((path) => baseName(path).startsWith('.'));
    t.comment(`${temps.length} temp file(s) left by the killed writer, ignored`);
  });
});

t.test('append: a stale latest hint in a new versions folder neither skips numbers nor hides versions', async (t) => {
  const log = open(t, { appendMode: true });
  for (let i = 1; i <= 3; i++) await log.set('k', `old ${i}`);
  await log.delete('k');
  await log.set('k', 'new 1');
  // What an append that took number 6 before the delete leaves when its hint lands in the folder made anew.
  writeFileSync(join(entryFolder(log, 'k'), 'versions', 'latest'), '6');
  await log.set('k', 'new 2');
  await log.set('k', 'new 3');
  const records = await log.getAll('k', { withMetadata: true });
  t.strictSame(
    records.map((r) => [r.version, r.value]),
    [
      [1, 'new 1'],
      [2, 'new 2'],
      [3, 'new 3'],
    ],
  );
  t.equal(await log.get('k'), 'new 3');
});

t.test('append: getAll lists every numbered version, past a gap in the numbers', async (t) => {
  const log = open(t, { appendMode: true });
  for (let i = 1; i <= 3; i++) await log.set('k', i);
  const versions = join(entryFolder(log, 'k'), 'versions');
  writeFileSync(join(versions, '10'), readFileSync(join(versions, '3')));
  rmSync(join(versions, '2'));
  t.strictSame(
    (await log.getAll('k', { withMetadata: true })).map((r) => [r.version, r.value]),
    [
      [1, 1],
      [3, 3],
      [10, 3],
    ],
  );
});

t.test('append: delete removes the versions of a key whose value file is missing', async (t) => {
  const log = open(t, { appendMode: true });
  for (let i = 1; i <= 2; i++) await log.set('k', i);
  rmSync(join(entryFolder(log, 'k'), 'value'));
  t.equal(await log.delete('k'), false, 'the key is absent');
  t.notOk(existsSync(join(entryFolder(log, 'k'), 'versions')), 'its versions are gone');
  await log.set('k', 'fresh');
  t.strictSame(await log.getAll('k'), ['fresh']);
});
