/**
 * `setIfAbsent` and `lease` on the facade, on the local engines (the race and takeover tests across threads and
 * processes, on every engine, are in test/concurrency/): what they return, expiry, release and renewal, lost leases,
 * waiting and aborting, and bad input: readonly, bad ttl, append mode, an engine without compareAndSet.
 */
import t, { type Test } from 'tap';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ConfigError,
  HashStash,
  LeaseLostError,
  ReadOnlyError,
  UnsupportedError,
  type Engine,
  type EngineName,
} from '../src/index.js';
import { serverSkip, serverUrl } from './helpers/servers.js';

const ENGINES: readonly EngineName[] = ['memory', 'lmdb', 'sqlite', 'pairtree', 'redis', 'mongo'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const url = kind ? serverUrl(kind) : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const local = !kind;
  /** A stash over a fresh root, cleared (servers keep data) and closed at the end of the test. */
  const open = (t: Test, root = t.testdir()) => {
    const stash = new HashStash({ root, engine, url });
    t.teardown(async () => {
      if (kind) await stash.clear().catch(() => {});
      await stash.close();
    });
    return stash;
  };

  t.test(`${engine}: setIfAbsent`, { skip }, async (t) => {
    const stash = open(t);
    t.equal(await stash.setIfAbsent('k', { v: 1 }), true, 'stores where nothing is');
    t.equal(await stash.setIfAbsent('k', { v: 2 }), false, 'not over a value');
    t.strictSame(await stash.get('k'), { v: 1 });
    if (local) {
      t.equal(stash.sync.setIfAbsent('k', { v: 3 }), false, 'sync: not over a value');
      t.equal(stash.sync.setIfAbsent('s', 'sync'), true, 'sync: stores where nothing is');
      t.equal(stash.sync.get('s'), 'sync');
    } else {
      t.throws(() => stash.sync, UnsupportedError, 'no sync view on a server engine');
    }
    await stash.delete('k');
    t.equal(await stash.setIfAbsent('k', { v: 4 }), true, 'a deleted key is absent');
    // Real clocks on a machine that may be busy: "not yet" is asserted only while well before the expiry.
    const written = Date.now();
    t.equal(await stash.setIfAbsent('short', 'lived', { ttl: 1_000 }), true);
    const early = await stash.setIfAbsent('short', 'again', { ttl: '1s' });
    if (Date.now() - written < 800) t.equal(early, false, 'not before it expires');
    t.equal(await stash.setIfAbsent('sync-ttl', 1, { ttl: 1_000 }), true);
    await delay(Math.max(0, written + 1_100 - Date.now()));
    t.equal(await stash.setIfAbsent('short', 'again', { ttl: '1s' }), true, 'an expired value counts as absent');
    t.equal(await stash.get('short'), 'again');
    await delay(200);
    t.equal(
      local ? stash.sync.setIfAbsent('sync-ttl', 2) : await stash.setIfAbsent('sync-ttl', 2),
      true,
      'an expired value counts as absent',
    );
  });

  t.test(`${engine}: leases`, { skip }, async (t) => {
    const root = t.testdir();
    const stash = open(t, root);
    const other = open(t, root);

    const lease = await stash.lease('job', { ttl: 5_000 });
    t.equal(lease.name, 'job');
    t.equal(lease.lost, false);
    t.ok(lease.expiresAt > Date.now() + 4_000 && lease.expiresAt <= Date.now() + 5_000, 'expires a ttl from now');
    t.equal(await other.lease('job', { wait: false }), null, 'a held lease is not given to another stash object');
    t.equal(await stash.lease('job', { wait: false }), null, 'nor to the same one (leases are not reentrant)');
    const otherSettings = new HashStash({ root, engine, url, serializer: 'v8', compress: 'zlib', b64: true });
    t.teardown(() => otherSettings.close());
    t.equal(
      await otherSettings.lease('job', { wait: false }),
      null,
      'nor to a stash that differs in serializer, codec or b64',
    );
    const unrelated = await other.lease('other-job', { wait: false });
    t.ok(unrelated, 'another name is another lease');
    await unrelated!.release();
    t.equal(await stash.size(), 0, 'leases are not entries of the stash');
    t.strictSame(await stash.setIfAbsent('job', 'a key named like a lease'), true, 'nor do they take its keys');

    const before = lease.expiresAt;
    await delay(5);
    t.equal(await lease.renew(), true);
    t.ok(lease.expiresAt > before, 'renew moves the expiry');
    t.equal(await lease.release(), true, 'release of a held lease');
    t.equal(await lease.release(), false, 'a second release does nothing');
    t.equal(await lease.renew(), false, 'nor does renew after release');
    const next = await other.lease('job', { wait: false });
    t.ok(next, 'a released lease is free at once');

    // A waiter gets it when the holder releases.
    const waiting = stash.lease('job', { ttl: 5_000 });
    await delay(50);
    await next!.release();
    const taken = await waiting;
    t.equal(taken.lost, false, 'a waiter takes it once released');
    await taken.release();
  });

  t.test(`${engine}: a lease that expires is taken over; its holder finds it lost`, { skip }, async (t) => {
    const stash = open(t);
    const first = await stash.lease('job', { ttl: 1_000, autoRenew: false });
    const early = await stash.lease('job', { wait: false });
    if (Date.now() < first.expiresAt - 200) t.equal(early, null, 'not before its ttl');
    await early?.release();
    await delay(Math.max(0, first.expiresAt + 50 - Date.now()));
    const second = await stash.lease('job', { ttl: 5_000, wait: false });
    t.ok(second, 'taken over after its ttl');
    t.equal(await first.renew(), false, 'the old holder cannot renew');
    t.equal(first.lost, true);
    t.equal(first.signal.aborted, true, 'its signal aborts');
    t.ok(first.signal.reason instanceof LeaseLostError, 'with a LeaseLostError');
    t.equal(await first.release(), false, 'and its release removes nothing');
    t.equal(await stash.lease('job', { wait: false }), null, 'the new holder still holds it');
    t.equal(await second!.release(), true);
  });

  t.test(`${engine}: a lease renews itself while held, and await using releases it`, { skip }, async (t) => {
    const stash = open(t);
    {
      await using lease = await stash.lease('job', { ttl: 1_500 });
      const first = lease.expiresAt;
      await delay(2_000);
      t.ok(lease.expiresAt > first, 'renewed automatically');
      t.equal(lease.lost, false);
      t.equal(await stash.lease('job', { wait: false }), null, 'still held past its ttl');
    }
    const after = await stash.lease('job', { wait: false });
    t.ok(after, 'released at the end of the block');
    await after!.release();
  });

  t.test(`${engine}: waiting stops when the signal aborts`, { skip }, async (t) => {
    const stash = open(t);
    const lease = await stash.lease('job');
    const reason = new Error('gave up');
    const controller = new AbortController();
    const waiting = stash.lease('job', { signal: controller.signal });
    await delay(30);
    controller.abort(reason);
    await t.rejects(waiting, reason, "rejects with the signal's reason");
    await t.rejects(
      stash.lease('job', { signal: AbortSignal.abort() }),
      { name: 'AbortError' },
      'an aborted signal rejects at once',
    );
    await lease.release();
  });
}

t.test('bad input', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, engine: 'sqlite' });
  await stash.set('x', 1);
  const readonly = new HashStash({ root, engine: 'sqlite', readonly: true });
  t.teardown(async () => {
    await stash.close();
    await readonly.close();
  });

  await t.rejects(readonly.setIfAbsent('k', 1), ReadOnlyError, 'setIfAbsent on a readonly stash');
  t.throws(() => readonly.sync.setIfAbsent('k', 1), ReadOnlyError, 'sync.setIfAbsent on a readonly stash');
  await t.rejects(readonly.lease('job'), ReadOnlyError, 'lease on a readonly stash');

  for (const ttl of [0, -1, NaN, Infinity, '5x', '', 'soon', null]) {
    await t.rejects(
      stash.setIfAbsent('k', 1, { ttl: ttl as never }),
      ConfigError,
      `setIfAbsent with ttl ${String(ttl)}`,
    );
    t.throws(
      () => stash.sync.setIfAbsent('k', 1, { ttl: ttl as never }),
      ConfigError,
      `sync.setIfAbsent with ttl ${String(ttl)}`,
    );
    await t.rejects(stash.lease('job', { ttl: ttl as never }), ConfigError, `lease with ttl ${String(ttl)}`);
  }
  await t.rejects(stash.setIfAbsent('k', 1, { ttl: 0 }), /ttl/, 'the error names the ttl');
  t.equal(await stash.has('k'), false, 'nothing was written');
  await t.rejects(stash.lease(''), ConfigError, 'an empty lease name');
  await t.rejects(stash.lease('job', { wait: 'yes' as never }), ConfigError, 'a wait that is not a boolean');
  await t.rejects(stash.lease('job', { tll: 5 } as never), ConfigError, 'an unknown lease option');

  const appending = new HashStash({ root, name: 'log', engine: 'sqlite', appendMode: true });
  t.teardown(() => appending.close());
  await t.rejects(appending.setIfAbsent('k', 1), UnsupportedError, 'setIfAbsent in append mode');

  // An engine object of one's own without compareAndSet.
  const inner = new HashStash({ root, name: 'inner', engine: 'memory' }).engine;
  const rest = Object.fromEntries(
    [
      'name',
      'capabilities',
      'get',
      'set',
      'has',
      'delete',
      'size',
      'clear',
      'keys',
      'entries',
      'getMany',
      'setMany',
      'close',
    ].map((m) => {
      const member = (inner as unknown as Record<string, unknown>)[m];
      return [m, typeof member === 'function' ? (member as (...args: never[]) => unknown).bind(inner) : member];
    }),
  ) as Record<string, unknown>;
  const plain = {
    ...rest,
    name: 'plain',
    sync: undefined,
    [Symbol.asyncDispose]: () => inner.close(),
  } as unknown as Engine;
  const custom = new HashStash({ root, name: 'custom', engine: plain });
  t.teardown(() => custom.close());
  await t.rejects(
    custom.setIfAbsent('k', 1),
    { name: 'UnsupportedError', message: /'plain' engine/ },
    'setIfAbsent names the engine that lacks compareAndSet',
  );
});
