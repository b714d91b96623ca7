import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashStash, UnsupportedError, type HashStashOptions } from '../../src/index.js';
import { currentProcess, isGone } from '../../src/tmp/process-identity.js';
import { eachEngine, engineOptions, type EngineCase } from '../tables/engines.js';

t.setTimeout(300_000);

function open(t: Test, options: HashStashOptions): HashStash {
  const stash = new HashStash(options);
  t.teardown(() => stash.close());
  return stash;
}

const registryFile = (root: string, id: string) => join(root, '.tmp-registry', `${id}.json`);

/** A stash of `options` (where a temporary stash lived) holds nothing: proof its server keys or memory table are gone. */
async function emptyThere(options: HashStashOptions): Promise<boolean> {
  const stash = new HashStash(options);
  try {
    return (await stash.size()) === 0;
  } finally {
    await stash.close();
  }
}

/** Checks that the temporary stash at `tmpOptions` is gone: folder, registry file, keys. */
async function assertGone(
  t: Test,
  engine: EngineCase,
  root: string,
  id: string,
  tmpOptions: HashStashOptions,
  path: string,
): Promise<void> {
  t.notOk(existsSync(join(root, 'tmp', id)), 'its folder is removed');
  t.notOk(existsSync(path), 'its path is gone');
  t.notOk(existsSync(registryFile(root, id)), 'its registry file is removed');
  if (!engine.onDisk) t.ok(await emptyThere(tmpOptions), 'its keys are cleared');
}

function optionsOf(stash: HashStash): HashStashOptions {
  const { root, name, engine, serializer, compress, b64, url } = stash.toJSON();
  return { root, name, engine: engine, serializer, compress, b64, url };
}

eachEngine(t, 'await using removes a temporary stash at scope exit', async (t, engine) => {
  const base = engineOptions(t, engine);
  const stash = open(t, { ...base, compress: 'zlib' });
  await stash.set('keep', 'parent value');
  let id: string;
  let path: string;
  let tmpOptions: HashStashOptions;
  {
    await using tmp = stash.tmp<string, number>();
    id = tmp.tmpId;
    path = tmp.path;
    tmpOptions = optionsOf(tmp);
    t.not(tmp.path, stash.path);
    t.equal(tmp.name, `tmp/${id}`);
    t.equal(tmp.toJSON().compress, 'zlib', 'the same settings as the parent');
    t.equal(tmp.toJSON().engine, engine.engine);
    await tmp.update(Array.from({ length: 50 }, (_, i) => [`k${i}`, i] as const));
    t.equal(await tmp.size(), 50);
    t.equal(await tmp.get('keep'), undefined, 'a fresh location');
    if (engine.engine !== 'memory') {
      const entry = JSON.parse(readFileSync(registryFile(stash.root, id), 'utf8')) as { owner: { pid: number } };
      t.equal(entry.owner.pid, process.pid, 'registered with this process');
    }
    if (engine.onDisk) t.ok(existsSync(tmp.path), 'data on disk while in scope');
  }
  await assertGone(t, engine, stash.root, id, tmpOptions, path);
  t.equal(await stash.get('keep'), 'parent value', 'the parent stash is untouched');
});

eachEngine(t, 'a temporary stash is removed when its scope exits by an exception', async (t, engine) => {
  const stash = open(t, engineOptions(t, engine));
  let seen: { id: string; path: string; options: HashStashOptions } | undefined;
  const work = async () => {
    await using tmp = stash.tmp();
    seen = { id: tmp.tmpId, path: tmp.path, options: optionsOf(tmp) };
    await tmp.set('k', { big: 'x'.repeat(1000) });
    throw new Error('boom');
  };
  await t.rejects(work(), /boom/);
  await assertGone(t, engine, stash.root, seen!.id, seen!.options, seen!.path);
});

eachEngine(t, 'withTmp removes the stash after the callback, whether it returns or throws', async (t, engine) => {
  const stash = open(t, engineOptions(t, engine));
  let seen: { id: string; path: string; options: HashStashOptions } | undefined;
  const result = await stash.withTmp<number, string, number>(async (tmp) => {
    seen = { id: tmp.tmpId, path: tmp.path, options: optionsOf(tmp) };
    await tmp.set('a', 1);
    await tmp.set('b', 2);
    return (await tmp.get('a'))! + (await tmp.get('b'))!;
  });
  t.equal(result, 3, 'the callback result');
  await assertGone(t, engine, stash.root, seen!.id, seen!.options, seen!.path);

  await t.rejects(
    stash.withTmp(async (tmp) => {
      seen = { id: tmp.tmpId, path: tmp.path, options: optionsOf(tmp) };
      await tmp.set('a', 1);
      throw new TypeError('inside');
    }),
    TypeError,
  );
  await assertGone(t, engine, stash.root, seen!.id, seen!.options, seen!.path);
});

eachEngine(t, 'sub-stashes and stashed functions of a temporary stash go with it', async (t, engine) => {
  const stash = open(t, engineOptions(t, engine));
  const tmp = stash.tmp();
  const sub = tmp.sub('inner');
  await sub.set('s', 1);
  let calls = 0;
  const square = tmp.stashed((n: number) => {
    calls++;
    return n * n;
  });
  t.equal(await square(4), 16);
  t.equal(await square(4), 16);
  t.equal(calls, 1, 'memoized inside the temporary stash');
  const subOptions = optionsOf(sub);
  const memoOptions = optionsOf(square.stash);
  await tmp[Symbol.asyncDispose]();
  t.notOk(existsSync(join(stash.root, 'tmp', tmp.tmpId)));
  if (!engine.onDisk) {
    t.ok(await emptyThere(subOptions), 'the sub-stash is cleared');
    t.ok(await emptyThere(memoOptions), 'the memo stash is cleared');
  }
  await tmp.remove();
  t.pass('removing again is harmless');
});

t.test('a readonly stash opens no temporary stash: ReadOnlyError, and nothing is written in its root', async (t) => {
  for (const engine of ['pairtree', 'lmdb'] as const) {
    const root = join(t.testdir(), engine);
    const stash = open(t, { root, engine, readonly: true });
    t.throws(() => stash.tmp(), {
      name: 'ReadOnlyError',
      message: /^cannot open a temporary stash: .* was opened with readonly: true/,
    });
    let called = false;
    await t.rejects(
      stash.withTmp(() => {
        called = true;
      }),
      { name: 'ReadOnlyError' },
    );
    t.notOk(called, 'withTmp does not call its function');
    t.notOk(existsSync(root), `${engine}: no registry, no tmp folder, not even the root`);
  }
});

t.test('the memory engine writes no registry file: a crash empties it anyway', async (t) => {
  const root = t.testdir();
  const stash = open(t, { root, engine: 'memory' });
  await stash.withTmp(async (tmp) => {
    await tmp.set('k', 1);
    t.notOk(existsSync(join(root, '.tmp-registry')));
  });
});

t.test('the registry file is written before first use, and no tmp folder is left behind', async (t) => {
  const root = t.testdir();
  const stash = open(t, { root, engine: 'lmdb' });
  const tmp = stash.tmp();
  t.same(readdirSync(join(root, '.tmp-registry')), [`${tmp.tmpId}.json`]);
  await tmp.set('k', 1);
  await tmp.remove();
  t.same(readdirSync(join(root, '.tmp-registry')), []);
  t.notOk(existsSync(join(root, 'tmp')), 'the empty tmp folder is removed');
});

t.test('a stash on an engine object cannot make a temporary stash', async (t) => {
  const inner = open(t, { root: t.testdir(), engine: 'memory' });
  const custom = {
    ...inner.engine,
    name: 'custom',
    capabilities: inner.engine.capabilities,
    get: inner.engine.get.bind(inner.engine),
  };
  const stash = new HashStash({ root: t.testdir(), engine: custom as never });
  t.throws(() => stash.tmp(), UnsupportedError);
});

t.test('a process is gone when its pid is, or when the pid now belongs to a later process', async (t) => {
  const me = currentProcess();
  t.equal(isGone(me), false, 'this process is alive');
  t.equal(isGone({ ...me, hostname: `${me.hostname}-elsewhere` }), false, 'a process on another host is never judged');
  t.equal(isGone({ ...me, pid: 2 ** 22 + 12345 }), true, 'a pid above the kernel limit is no process');
  if (me.startTime === null) t.pass('no /proc here: reused pids cannot be told apart', { skip: 'no /proc' });
  else
    t.equal(isGone({ ...me, startTime: String(Number(me.startTime) - 1) }), true, 'same pid, other start time: reused');
});
