/**
 * `stash.close()` closes what was opened from the stash and not closed (sub-stashes, sequences, sweeps): a process
 * that closes only its stash exits by itself on the server engines, whose connections would otherwise keep it alive;
 * on a local engine, a sub-stash closed with its parent, then used again, opens again.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HashStash, type EngineName } from '../../src/index.js';
import { mongoUrl, redisUrl, serverSkip } from '../helpers/servers.js';

const CHILD = fileURLToPath(new URL('./leaving-child.js', import.meta.url));
const SERVERS: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
  { engine: 'mongo', url: mongoUrl(), skip: serverSkip('mongo') },
];

for (const { engine, url, skip } of SERVERS) {
  t.test(`${engine}: a process that closes only its stash exits by itself`, { skip }, async (t) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ engine, url, root: t.testdir() })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Generous for a busy machine: a process that hangs on an open connection never exits at all.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    t.equal(code, 0, `exited on its own ${output}`);
    t.match(output, /closed/);
  });
}

t.test('a sub-stash closed with its parent opens again when used', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root });
  const sub = stash.sub('child');
  await sub.set('k', 1);
  await stash.close();
  t.equal(await sub.get('k'), 1, 'read after its parent closed');
  await sub.close();
  await stash.close();
  t.pass('closing again is harmless');
});
