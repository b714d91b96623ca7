/**
 * The per-key locks that pairtree and mongo take to replace or delete under compare-and-set: a lock left by a holder
 * that died (SIGKILL inside the critical section) is broken, so the key is never locked forever, and a live holder's
 * lock is respected.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeKey } from '../../src/keys/encode.js';
import { hashKey } from '../../src/keys/hash.js';
import { HashStash } from '../../src/index.js';
import { currentProcess } from '../../src/tmp/process-identity.js';
import { requireServer } from '../helpers/servers.js';

const bytes = (text: string) => Buffer.from(text);

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function pairtreeFolder(stash: HashStash, key: unknown): string {
  const hash = hashKey(encodeKey(key));
  return join(stash.path, hash.slice(0, 2), hash.slice(2, 4), hash.slice(4));
}

t.test('pairtree: a lock left by a dead process is broken; one of a live process is waited for', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'pairtree' });
  t.teardown(() => stash.close());
  const engine = stash.engine;
  const key = encodeKey('k');
  await engine.set(key, bytes('one'));
  const folder = pairtreeFolder(stash, 'k');
  const lock = join(folder, '.lock');

  // A holder killed between taking the lock and releasing it: same host, boot and pid namespace, its pid gone.
  writeFileSync(
    lock,
    JSON.stringify({ ...currentProcess(), pid: deadPid(), startTime: '1', thread: 0, token: 'dead' }),
  );
  const started = Date.now();
  t.equal(await engine.compareAndSet!(key, bytes('one'), bytes('two')), true, 'the compare-and-set goes ahead');
  t.ok(Date.now() - started < 5_000, 'at once, not after a timeout');
  t.equal(existsSync(lock), false, 'and leaves no lock behind');
  t.equal(Buffer.from((await engine.get(key))!).toString(), 'two');

  // A lock whose owner cannot be checked from here (another host) is broken once it is older than 30 s.
  writeFileSync(lock, JSON.stringify({ ...currentProcess(), hostname: 'elsewhere', thread: 0, token: 'remote' }));
  const old = (Date.now() - 31_000) / 1000;
  utimesSync(lock, old, old);
  t.equal(await engine.compareAndSet!(key, bytes('two'), undefined), true, 'an old lock of an unknown owner is broken');
  t.equal(await engine.has(key), false);

  // A live holder's fresh lock is waited for. The engine waits synchronously, blocking this thread, so another
  // process plays the holder that releases it 300 ms later.
  await engine.set(key, bytes('three'));
  mkdirSync(folder, { recursive: true });
  writeFileSync(lock, JSON.stringify({ ...currentProcess(), thread: 99, token: 'live' }));
  const holder = spawn(process.execPath, [
    '-e',
    `setTimeout(() => require('fs').rmSync(${JSON.stringify(lock)}, { force: true }), 300)`,
  ]);
  await once(holder, 'spawn');
  const waitedFrom = Date.now();
  t.equal(
    await engine.compareAndSet!(key, bytes('three'), bytes('four')),
    true,
    'goes ahead once the live lock is gone',
  );
  t.ok(Date.now() - waitedFrom >= 250, `and not before (${Date.now() - waitedFrom} ms)`);
  await once(holder, 'close');
});

t.test('mongo: a lock document left by a dead holder is removed once expired', async (t) => {
  const url = requireServer(t, 'mongo');
  if (!url) return;
  const stash = new HashStash({ root: t.testdir(), engine: 'mongo', url });
  t.teardown(async () => {
    await stash.clear();
    await stash.close();
  });
  const engine = stash.engine;
  const key = encodeKey('k');
  await engine.set(key, bytes('one'));
  const { MongoClient } = await import('mongodb');
  const { mongoNames } = await import('../../src/engines/mongo/naming.js');
  const names = mongoNames(url, namespaceOf(stash));
  const client = new MongoClient(url);
  t.teardown(() => client.close());
  const locks = client
    .db(names.database)
    .collection<{ _id: string; o: string; e: number }>(`${names.collection}.versions`);
  const lockId = '\u0003' + Buffer.from(key).toString('utf8');
  await locks.insertOne({ _id: lockId, o: 'dead', e: Date.now() - 1 });
  const started = Date.now();
  t.equal(
    await engine.compareAndSet!(key, bytes('one'), bytes('two')),
    true,
    'an expired lock document does not block',
  );
  t.ok(Date.now() - started < 5_000, 'at once');
  t.equal(await locks.countDocuments({ _id: lockId }), 0, 'and none is left behind');
  await locks.insertOne({ _id: lockId, o: 'live', e: Date.now() + 30_000 });
  const waitedFrom = Date.now();
  setTimeout(() => void locks.deleteOne({ _id: lockId, o: 'live' }), 300);
  t.equal(await engine.compareAndSet!(key, bytes('two'), bytes('three')), true, 'a live lock is waited for');
  t.ok(Date.now() - waitedFrom >= 250, `until its holder removed it (${Date.now() - waitedFrom} ms)`);
});

/** The namespace a server engine names a stash by: root as given, name, settings folder. */
function namespaceOf(stash: HashStash): string {
  const { root, name, engine, serializer, compress, b64 } = stash.options;
  return [root, name, `${engine}.${serializer}.${compress}${b64 ? '+b64' : ''}`].join('/');
}
