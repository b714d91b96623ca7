/**
 * Tiers across processes and faults, on lmdb and redis:
 * - coherence: a write through another process's stash reaches this process's memory tier within a window (measured,
 *   and printed: the README quotes it);
 * - a process SIGKILLed while it writes through its tiers loses nothing it was told was written: every acknowledged
 *   write is in the last tier;
 * - the last tier down (a private redis stopped): hits in the memory tier are still served, writes fail with
 *   EngineUnavailableError and leave nothing above that the last tier does not hold; it works again once the server
 *   is back.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { EngineUnavailableError, HashStash, type EngineName, type TierStats } from '../../src/index.js';
import { privateServerSkip, redisUrl, serverSkip, startRedis } from '../helpers/servers.js';

t.setTimeout(300_000);

const CHILD = fileURLToPath(new URL('./tier-child.js', import.meta.url));
const ENGINES: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'lmdb', url: undefined, skip: false },
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
];

function start(job: object) {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exit = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, lines, exit, stderr: () => stderr };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const { engine, url, skip } of ENGINES) {
  t.test(`${engine}: another process's writes reach this process's memory tier`, { skip }, async (t) => {
    const root = t.testdir();
    const options = { root, name: 'shared', engine, ...(url ? { url } : {}) };
    await using writer = new HashStash<string, number>(options);
    const key = `k-${process.pid}-${Date.now()}`;
    await writer.set(key, 0);
    const reader = start({ mode: 'reader', root, engine, url, key });
    t.teardown(() => reader.child.kill('SIGKILL'));
    t.equal((await reader.lines.next()).value, 'ready', `the reader cached the key ${reader.stderr()}`);
    const windows: number[] = [];
    for (let round = 1; round <= 7; round++) {
      await writer.set(key, round);
      const written = Date.now();
      const line = (await reader.lines.next()).value as string;
      const seen = JSON.parse(line) as { value: number; at: number };
      t.equal(seen.value, round, `round ${round}: the reader read the new value`);
      windows.push(seen.at - written);
      await sleep(50);
    }
    t.comment(`${engine}: write to read elsewhere, ms: ${windows.join(', ')} (median ${median(windows)})`);
    t.ok(median(windows) <= 250, `median window ${median(windows)} ms (the README's figure is measured idle)`);
    await writer.delete(key);
    const deleted = JSON.parse((await reader.lines.next()).value as string) as { value: unknown };
    t.equal(deleted.value, null, 'and a delete');
  });

  t.test(
    `${engine}: a process killed while writing through its tiers loses no acknowledged write`,
    { skip },
    async (t) => {
      const root = t.testdir();
      const log = join(root, 'acknowledged.log');
      const writer = start({ mode: 'writer', root, engine, url, log });
      const acknowledged = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
      const deadline = Date.now() + 60_000;
      while (acknowledged() < 300 && Date.now() < deadline) await sleep(5);
      writer.child.kill('SIGKILL');
      await writer.exit;
      const keys = readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
      t.ok(keys.length >= 300, `${keys.length} writes acknowledged before the kill ${writer.stderr()}`);
      await using last = new HashStash<number, { i: number; text: string }>({
        root,
        name: 'shared',
        engine,
        ...(url ? { url } : {}),
      });
      let missing = 0;
      for (const i of keys) {
        const value = await last.get(i);
        if (value?.i !== i || value.text.length !== i % 2_000) missing++;
      }
      t.equal(missing, 0, 'every acknowledged write is in the last tier, whole');
    },
  );
}

t.test(
  'the last tier down: hits served, writes refused, nothing half-written',
  { skip: privateServerSkip('redis') },
  async (t) => {
    const server = await startRedis();
    t.teardown(() => server.dispose());
    const root = t.testdir();
    await using stash = new HashStash<number, string>({
      root,
      engine: 'redis',
      url: server.url,
      memory: { maxBytes: '1mb' },
    });
    await stash.setMany(Array.from({ length: 50 }, (_, i) => [i, `v${i}`] as [number, string]));
    t.equal(await stash.prefetch(Array.from({ length: 50 }, (_, i) => i)), 50);
    await server.stop();
    let served = 0;
    for (let i = 0; i < 50; i++) if ((await stash.get(i)) === `v${i}`) served++;
    t.equal(served, 50, 'every key in the memory tier is served while redis is down');
    await t.rejects(stash.set(1, 'new'), EngineUnavailableError, 'a write fails with EngineUnavailableError');
    await t.rejects(
      stash.get(1),
      EngineUnavailableError,
      'and the key is no longer served from above: the last tier decides',
    );
    t.equal(await stash.get(2), 'v2', 'other keys still are');
    await t.rejects(stash.delete(3), EngineUnavailableError);
    await server.start();
    const deadline = Date.now() + 30_000;
    let back: string | undefined;
    while (Date.now() < deadline) {
      try {
        back = await stash.get(1);
        break;
      } catch {
        await sleep(100);
      }
    }
    // The private server keeps nothing across a restart: what it holds now is what the key must read.
    await using plain = new HashStash<number, string>({ root, engine: 'redis', url: server.url });
    const held = await plain.get(1);
    t.not(held, 'new', 'the failed write did not land later');
    t.equal(back, held, 'once redis is back, the key reads what redis holds: the failed write left nothing above');
    await stash.set(1, 'newer');
    t.equal(await stash.get(1), 'newer');
    const tiers = (await stash.stats()).tiers as TierStats[];
    t.ok(tiers[0].hits >= 50);
  },
);
