// CommonJS consumers: `require('hashstash')` works on Node >= 20.19 through its require(esm), which needs an `exports`
// condition that `require` matches and no top-level await anywhere in the module graph.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

const consumer = `
const { HashStash, KeyNotFoundError } = require('hashstash');
const { join } = require('node:path');

async function main() {
  const report = {};
  const memory = new HashStash({ engine: 'memory', root: join(__dirname, 'stashes'), name: 'cjs' });
  await memory.set({ b: [2], a: 1 }, new Map([['x', 1n]]));
  report.memory = String((await memory.get({ a: 1, b: [2] })).get('x'));
  await memory.close();

  const lmdb = new HashStash({ root: join(__dirname, 'stashes') });
  await lmdb.set('when', new Date(Date.UTC(2024, 4, 1)));
  report.lmdb = (await lmdb.get('when')).toISOString();
  try { await lmdb.pop('absent'); } catch (error) { report.errorClass = error instanceof KeyNotFoundError; }
  await lmdb.close();

  // One module instance whichever way it is loaded, so instanceof and registered classes agree.
  report.sameAsImport = (await import('hashstash')).HashStash === HashStash;
  console.log(JSON.stringify(report));
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

t.test('a CommonJS file requires hashstash by name, sets and gets on memory and lmdb', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-cjs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Its own package.json stops Node at this folder: 'hashstash' must come from node_modules, as for a user.
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'cjs-consumer', private: true }));
  await mkdir(join(dir, 'node_modules'));
  await symlink(repo, join(dir, 'node_modules', 'hashstash'), 'dir');
  await writeFile(join(dir, 'consumer.cjs'), consumer);

  const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(dir, 'consumer.cjs')], {
    cwd: dir,
    timeout: 60_000,
  });
  t.same(JSON.parse(stdout), { memory: '1', lmdb: '2024-05-01T00:00:00.000Z', errorClass: true, sameAsImport: true });
  t.equal(stderr, '', 'no warning on stderr');
});
