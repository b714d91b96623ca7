/**
 * The tiers' fault paths: a change feed that breaks (the upper tiers keep their copies, copy nothing up meanwhile,
 * and start again from nothing once it is back), a last tier without a change feed, scratch folders of a process
 * that died, and expired copies in a disk tier.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { HashStash, UnsupportedError } from '../../src/index.js';
import type { Engine, RawChange } from '../../src/engines/engine.js';
import { Coherence } from '../../src/tiers/coherence.js';

t.test('a change feed that breaks is watched again, and reports everything missed once it is back', async (t) => {
  let watches = 0;
  const feed = async function* (): AsyncGenerator<RawChange> {
    watches++;
    if (watches === 1) {
      yield { type: 'set', key: new Uint8Array([1]) };
      throw new Error('connection lost');
    }
    yield { type: 'delete', key: new Uint8Array([2]) };
    await new Promise(() => {}); // then quiet, as a live feed is
  };
  const last = { name: 'flaky', watch: () => feed() } as unknown as Engine;
  const seen: string[] = [];
  const coherence = new Coherence(last, (change) => seen.push(change.type));
  await coherence.start();
  t.ok(coherence.ready, 'ready once the first feed is');
  const deadline = Date.now() + 10_000;
  let sawBroken = false;
  while (watches < 2 && Date.now() < deadline) {
    await sleep(20);
    if (watches < 2 && !coherence.ready) sawBroken = true;
  }
  t.ok(sawBroken, 'not ready while the feed is broken');
  await coherence.start();
  while (seen.length < 3 && Date.now() < deadline) await sleep(10);
  t.same(seen.slice(0, 3), ['set', 'missed', 'delete'], 'the change, then everything missed, then the new feed');
  t.ok(coherence.ready);
  void coherence.close();
});

t.test('coherence needs a change feed: an engine without one is refused, naming the way out', async (t) => {
  t.throws(() => new Coherence({ name: 'plain' } as unknown as Engine, () => {}), UnsupportedError);
  t.throws(() => new Coherence({ name: 'plain' } as unknown as Engine, () => {}), {
    message: /the plain engine has none: pass coherence: 'none'/,
  });
});

t.test('scratch folders of dead processes are removed; a closed stash removes its own', async (t) => {
  // Above the largest pid Linux gives (2^22): no process has it.
  const dead = 2 ** 22 + 1;
  const left = join(tmpdir(), `hashstash-tier-${dead}-x-0-deadbeef0000`, 'tier1');
  mkdirSync(left, { recursive: true });
  const mine = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`hashstash-tier-${process.pid}-`));
  const before = mine().length;
  const stash = new HashStash<number, string>({
    root: t.testdir(),
    tiers: [{ engine: 'memory', maxBytes: '64kb' }, { engine: 'lmdb', maxBytes: '1mb' }, { engine: 'sqlite' }],
    compress: 'raw',
  });
  await stash.prefetch([]);
  for (let i = 0; i < 200; i++) await stash.set(i, 'v'.repeat(1_000));
  for (let i = 0; i < 200; i++) await stash.get(i);
  const deadline = Date.now() + 10_000;
  while (existsSync(join(left, '..')) && Date.now() < deadline) await sleep(20);
  t.notOk(existsSync(join(left, '..')), "the dead process's scratch folder is gone");
  t.equal(mine().length, before + 1, 'the open stash has a scratch folder of its own');
  await stash.close();
  t.equal(mine().length, before, 'closing removes it');
});

t.test('expired copies in a disk tier are dropped on read and purged', async (t) => {
  let now = 1_000_000;
  await using stash = new HashStash<number, string>({
    root: t.testdir(),
    tiers: [{ engine: 'memory', maxBytes: '64kb' }, { engine: 'lmdb', maxBytes: '4mb' }, { engine: 'sqlite' }],
    clock: () => now,
    compress: 'raw',
  });
  await stash.prefetch([]);
  for (let i = 0; i < 300; i++) await stash.set(i, 'v'.repeat(1_000), { ttl: 1_000 });
  for (let i = 0; i < 300; i++) await stash.get(i);
  const held = (await stash.stats()).tiers![1];
  t.ok(held.offloads > 0, `the disk tier holds offloaded copies (${held.offloads})`);
  now += 2_000;
  t.equal(await stash.get(0), undefined, 'an expired copy is not served');
  const purged = await stash.purgeExpired();
  t.ok(purged >= 299, `the last tier purged what was left (${purged})`);
  const tiers = (await stash.stats()).tiers!;
  t.ok(tiers[1].evictions.expired > 0, `the disk tier counted its expired copies (${tiers[1].evictions.expired})`);
  t.equal(tiers[1].bytesUsed, 0, 'and holds nothing now');
});

t.test('a disk tier first in the chain never answers for an expired copy', async (t) => {
  let now = 1_000_000;
  await using stash = new HashStash<number, string>({
    root: t.testdir(),
    tiers: [{ engine: 'pairtree', maxBytes: '1mb' }, { engine: 'lmdb' }],
    clock: () => now,
  });
  await stash.prefetch([]);
  await stash.set(1, 'soon gone', { ttl: 1_000 });
  t.equal(await stash.get(1), 'soon gone');
  t.ok(await stash.has(1));
  t.ok((await stash.stats()).tiers![0].bytesUsed > 0, 'the disk tier holds a copy');
  now += 2_000;
  t.notOk(await stash.has(1), 'has: expired');
  t.equal(await stash.get(1), undefined, 'get: expired');
  t.equal((await stash.stats()).tiers![0].evictions.expired, 1, 'the copy was dropped as expired');
});
