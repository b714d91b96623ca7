/**
 * A server URL's password never leaves the process: a stash on a password-protected server is used through every
 * path that can record or show options (plain, memo, map with progress, tmp, sub-stash, tables, errors), then every
 * file under the root and every string the API gives back is searched for the password.
 */
import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { HashStash, stashOf } from '../../src/index.js';
import { requireServer } from '../helpers/servers.js';

t.setTimeout(120_000);

const CANARY = 'Canary-6f1d9a-Pw';
const FORMS = [
  CANARY,
  encodeURIComponent(CANARY),
  Buffer.from(CANARY).toString('base64'),
  Buffer.from(CANARY).toString('hex'),
];

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every string an error shows: message, stack, inspect, and the same down its cause chain. */
function errorTexts(error: unknown): string[] {
  const texts = [inspect(error, { depth: Infinity, showHidden: true })];
  for (let at: unknown = error; at instanceof Error; at = at.cause)
    texts.push(at.message, at.stack ?? '', JSON.stringify(at));
  return texts;
}

function expectNoCanary(t: Test, texts: readonly string[], root: string): void {
  const leaks = texts.filter((text) => FORMS.some((form) => text.includes(form)));
  t.same(leaks, [], 'no string the API returned holds the password');
  const files = filesUnder(root);
  t.ok(files.length > 0, `${files.length} files written under the root`);
  const leakyFiles = files.filter((file) => {
    const bytes = readFileSync(file);
    return FORMS.some((form) => bytes.includes(form));
  });
  t.same(leakyFiles, [], 'no file under the root holds the password');
}

function double(x: number): number {
  return x * 2;
}

t.test('redis: nothing shown or written holds the password', async (t) => {
  const serverUrl = requireServer(t, 'redis');
  if (!serverUrl) return;
  // A user of our own on the shared test server, with the canary as its password.
  const admin = new Redis(serverUrl, { lazyConnect: true });
  await admin.connect();
  t.teardown(async () => {
    await admin.call('ACL', 'DELUSER', 'hs-canary');
    admin.disconnect();
  });
  await admin.call('ACL', 'SETUSER', 'hs-canary', 'reset', 'on', `>${CANARY}`, '~*', '&*', '+@all');
  const url = serverUrl.replace('redis://', `redis://hs-canary:${CANARY}@`);
  const root = t.testdir();
  const texts: string[] = [];

  const stash = new HashStash({ root, name: 'canary', engine: 'redis', url });
  t.teardown(() => stash.close());
  await stash.set('plain', { a: 1 });
  t.same(await stash.get('plain'), { a: 1 }, 'the password works');
  texts.push(
    JSON.stringify(stash),
    String(stash),
    inspect(stash, { depth: Infinity, showHidden: true }),
    JSON.stringify(stash.options),
    inspect(stash.options),
    JSON.stringify(stash.toJSON()),
    stash.path,
  );
  t.equal(stash.options.url, url.replace(CANARY, '***'), 'stash.options shows the URL redacted');

  const sub = stash.sub('child');
  t.teardown(() => sub.close());
  await sub.set('k', 'v');
  texts.push(JSON.stringify(sub), String(sub), inspect(sub), sub.path);

  const memoized = stash.stashed(double);
  t.equal(await memoized(21), 42);
  const memoStash = stashOf(memoized);
  texts.push(JSON.stringify(memoStash), String(memoStash), inspect(memoStash), memoStash.path);

  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  try {
    const results = stash.map(double, [1, 2, 3], { numProc: 1, progress: true });
    t.same(await results.all(), [2, 4, 6]);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- what String() shows of it is what is checked
    texts.push(String(results), inspect(results));
  } finally {
    process.stderr.write = write;
  }
  texts.push(...written);

  const tmp = stash.tmp();
  await tmp.set('scratch', 1);
  texts.push(JSON.stringify(tmp), String(tmp), inspect(tmp));
  const tmpSub = tmp.sub('inner');
  await tmpSub.set('x', 2);
  const registry = filesUnder(root).filter((file) => file.includes('.tmp-registry'));
  t.equal(registry.length, 1, 'the temporary stash has a registry file while it lives');
  t.match(readFileSync(registry[0], 'utf8'), 'hs-canary:***@', 'which names the server by its redacted URL');
  await stash.withTmp(async (scoped) => {
    await scoped.set('y', 3);
    texts.push(JSON.stringify(scoped));
  });

  const table = await stash.table();
  texts.push(table.toString(), JSON.stringify(await stash.records()));

  // Errors: a wrong password, and a server that is not there.
  const wrong = new HashStash({
    root,
    name: 'wrong',
    engine: 'redis',
    url: serverUrl.replace('redis://', `redis://hs-canary:${CANARY}x@`),
  });
  t.teardown(() => wrong.close());
  const denied = await wrong.get('k').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(denied instanceof Error, 'a wrong password fails');
  texts.push(...errorTexts(denied));
  const nowhere = new HashStash({
    root,
    name: 'nowhere',
    engine: 'redis',
    url: `redis://hs-canary:${CANARY}@127.0.0.1:1/0`,
  });
  t.teardown(() => nowhere.close());
  const unreachable = await nowhere.get('k').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(unreachable instanceof Error, 'an unreachable server fails');
  texts.push(...errorTexts(unreachable));

  expectNoCanary(t, texts, root);
  await tmp.remove();
});

t.test('mongo: nothing shown or written holds the password', async (t) => {
  const serverUrl = requireServer(t, 'mongo');
  if (!serverUrl) return;
  const root = t.testdir();
  const texts: string[] = [];
  const url = serverUrl.replace('mongodb://', `mongodb://hs-canary:${CANARY}@`);
  const stash = new HashStash({ root, name: 'canary', engine: 'mongo', url });
  t.teardown(() => stash.close());
  texts.push(
    JSON.stringify(stash),
    String(stash),
    inspect(stash, { depth: Infinity, showHidden: true }),
    JSON.stringify(stash.options),
  );
  t.match(stash.options.url, 'hs-canary:***@');
  // FerretDB here runs without authentication: a write either works or fails on the credentials; both are checked.
  const outcome = await stash.set('plain', 1).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome !== undefined) texts.push(...errorTexts(outcome));
  const tmp = stash.tmp();
  texts.push(JSON.stringify(tmp), String(tmp));
  const nowhere = new HashStash({
    root,
    name: 'nowhere',
    engine: 'mongo',
    url: `mongodb://hs-canary:${CANARY}@127.0.0.1:1/db?serverSelectionTimeoutMS=500`,
  });
  t.teardown(() => nowhere.close());
  const unreachable = await nowhere.get('k').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(unreachable instanceof Error, 'an unreachable server fails');
  texts.push(...errorTexts(unreachable));
  expectNoCanary(t, texts, root);
  await tmp.remove().catch(() => {});
});
