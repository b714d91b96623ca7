// The packed package, installed in a project of its own, runs the README's quick start and a stash.map (whose worker
// file is loaded by URL at run time): the tarball holds every file the library needs when it runs.
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installInto, repoRoot } from '../helpers/pack.js';

const mapScript = `
import { HashStash } from 'hashstash';
const stash = new HashStash({ root: 'installed_map' });
const squares = await stash.map((n) => n * n, [1, 2, 3], { numProc: 1 }).all();
console.log(squares.join(' '));
await stash.close();
`;

t.test('an installed copy of the tarball runs the quick start and a parallel map', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-installed-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await installInto(dir, 'installed-consumer');
  await copyFile(join(repoRoot, 'examples', 'quick-start.mjs'), join(dir, 'quick-start.mjs'));
  await writeFile(join(dir, 'map.mjs'), mapScript);
  const env = { ...process.env, HASHSTASH_HOME: join(dir, 'home') };
  const node = (script: string) =>
    promisify(execFile)(process.execPath, [join(dir, script)], { cwd: dir, env, timeout: 60_000 });

  const quickStart = await node('quick-start.mjs');
  t.match(quickStart.stdout, /^square\(12\) twice: 144 144 \| computations: 1$/m);
  t.equal(quickStart.stderr, '');
  const map = await node('map.mjs');
  t.equal(map.stdout, '1 4 9\n');
  t.equal(map.stderr, '');
});
