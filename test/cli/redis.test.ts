// The command line on a redis stash named by --engine redis --url (the shared test server): keys, get, export, and
// ls listing the stashes on the server; run as the real binary.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { requireServer } from '../helpers/servers.js';

const url = requireServer(t, 'redis');
if (url) {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-cli-redis-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const root = `cli-test-${randomUUID()}`;
  const options = { engine: 'redis', url, root, name: 'served' } as const;
  const stash = new HashStash<unknown, unknown>(options);
  await stash.setMany([
    ['a', { when: new Date(1), n: 3n }],
    [{ k: [1] }, new Map([['x', 1]])],
  ]);
  await stash.set('ttl', 'soon', { ttl: '1h' });
  t.teardown(async () => {
    await stash.clear();
    await stash.close();
  });
  const named = ['--engine', 'redis', '--url', url, '--root', root, '--name', 'served'];
  const cli = (...args: string[]) => runCli(args, { home });

  t.test('keys and get', async (t) => {
    const keys = await cli('keys', ...named);
    t.equal(keys.code, 0, keys.stderr);
    t.same(keys.stdout.trim().split('\n').sort(), ['"a"', '"ttl"', '{"k":[1]}']);
    const got = await cli('get', '"a"', ...named);
    t.equal(got.code, 0, got.stderr);
    t.equal(got.stdout, '{"~":"hs1","v":{"when":{"~":"Date","v":1},"n":{"~":"bigint","v":"3"}}}\n');
    const missing = await cli('get', '"b"', ...named);
    t.equal(missing.code, 1);
  });

  t.test('export, then import into a local stash', async (t) => {
    const file = join(dir, 'redis.jsonl');
    const run = await cli('export', ...named, '-o', file);
    t.equal(run.code, 0, run.stderr);
    const local = join(dir, 'local', 'main', 'lmdb.hashstash.lz4');
    const imported = await cli('import', local, file);
    t.equal(imported.code, 0, imported.stderr);
    await using copy = new HashStash<unknown, unknown>({ root: join(dir, 'local'), name: 'main' });
    t.same(await copy.get('a'), { when: new Date(1), n: 3n });
    t.same(await copy.get({ k: [1] }), new Map([['x', 1]]));
    t.equal(await copy.expiresAt('ttl'), await stash.expiresAt('ttl'));
  });

  t.test('ls --engine redis lists the stashes on the server', async (t) => {
    const run = await cli('ls', '--engine', 'redis', '--url', url, '--json');
    t.equal(run.code, 0, run.stderr);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    t.match(
      rows.filter((row) => row['root'] === root),
      [{ stash: `${root}/served`, name: 'served', settings: 'redis.hashstash.lz4', entries: 3 }],
    );
    const onlyRoot = await cli('ls', root, '--engine', 'redis', '--url', url);
    t.equal(onlyRoot.code, 0);
    t.match(onlyRoot.stdout, new RegExp(`^${root}/served\\tredis\\.hashstash\\.lz4\\t3 entries\\t`));
    t.equal(onlyRoot.stdout.trim().split('\n').length, 1);
  });

  t.test('a server that is not there exits 1 naming it', async (t) => {
    const run = await cli('ls', '--engine', 'redis', '--url', 'redis://127.0.0.1:1');
    t.equal(run.code, 1);
    t.match(run.stderr, 'redis://127.0.0.1:1');
  });
}
