// The plumbing every engine shares: one registry of shared clients and environments, one translation of storage
// failures into typed errors.
import t from 'tap';
import { EngineUnavailableError, ReadOnlyError } from '../../src/index.js';
import { storageError } from '../../src/engines/fs-errors.js';
import { Feeds } from '../../src/engines/change-feed.js';
import { SharedResources } from '../../src/engines/shared-resources.js';

t.test('SharedResources makes a resource once per key and closes it on the last release', async (t) => {
  const closed: string[] = [];
  let made = 0;
  const shared = new SharedResources<string, { name: string }>(async (value) => {
    closed.push(value.name);
  });
  const create = (name: string) => () => ({ name: `${name}-${++made}` });
  const a = shared.acquire('url', create('a'));
  const b = shared.acquire('url', create('b'));
  t.equal(a, b, 'the second user gets the same resource');
  t.equal(made, 1);
  t.equal(shared.users('url'), 2);
  await shared.release('url', a);
  t.same(closed, [], 'still used: not closed');
  await shared.release('url', b);
  t.same(closed, ['a-1'], 'the last release closes it');
  t.equal(shared.users('url'), 0);
  const c = shared.acquire('url', create('c'));
  t.equal(c.name, 'c-2', 'a later user gets a new one');
  await shared.release('url', a);
  t.equal(shared.users('url'), 1, 'releasing a closed resource again does not touch the new one');
  t.throws(
    () =>
      shared.acquire('bad', () => {
        throw new Error('cannot open');
      }),
    /cannot open/,
  );
  t.equal(shared.users('bad'), 0, 'a failed create keeps nothing');
});

t.test(
  'storageError: read-only codes are ReadOnlyError, the rest EngineUnavailableError naming the path and why',
  async (t) => {
    const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });
    for (const code of ['EROFS', 'EACCES', 'EPERM']) {
      const error = storageError(errno(code), { engine: 'test', doing: 'write', path: '/some/file' });
      t.type(error, ReadOnlyError, code);
      t.match(error.message, /^test cannot write \/some\/file: /);
      t.equal((error as Error & { cause?: unknown }).cause instanceof Error, true, 'keeps the cause');
    }
    const cases: [string, RegExp][] = [
      ['ENOSPC', /the disk is full/],
      ['ENOTDIR', /a file, not a folder/],
      ['ENAMETOOLONG', /longer than the file system allows/],
    ];
    for (const [code, why] of cases) {
      const error = storageError(errno(code), { engine: 'test', doing: 'write', path: '/some/file' });
      t.type(error, EngineUnavailableError, code);
      t.match(error.message, why, `${code} says why`);
      t.match(error.message, '/some/file');
    }
    const typed = new ReadOnlyError('already typed');
    t.equal(
      storageError(typed, { engine: 'test', doing: 'read', path: '/x' }),
      typed,
      'a HashStashError passes as it is',
    );
    t.type(
      storageError(errno('EIO'), { engine: 'test', doing: 'read', path: '/x', readOnly: true }),
      ReadOnlyError,
      'the engine may know better',
    );
  },
);

t.test('Feeds.closeAll stops every feed, even after one whose stop() throws synchronously', async (t) => {
  const feeds = new Feeds();
  const stopped: string[] = [];
  feeds.add({
    stop() {
      throw new Error('this source fails to stop');
    },
  });
  feeds.add({
    stop() {
      stopped.push('second');
    },
  });
  feeds.add({
    async stop() {
      stopped.push('third');
    },
  });
  await feeds.closeAll();
  t.same(stopped, ['second', 'third'], 'the sources after the failing one are stopped too');
  t.ok(feeds.closed instanceof AbortSignal && !feeds.closed.aborted, 'a fresh signal for feeds started later');
});
