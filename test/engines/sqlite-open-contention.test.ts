/**
 * Opening a sqlite stash while other processes open, create and write the same database: an open never fails merely
 * because the database is busy.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { EngineUnavailableError, HashStash } from '../../src/index.js';
import { DATABASE_FILE } from '../../src/engines/sqlite/store.js';
import { isLocked, retryWhileLocked } from '../../src/engines/sqlite/open.js';
import { killAndWait } from '../concurrency/child.js';
import { KEYS, keyOf, stashName, valueOf } from './sqlite-opener.js';

const openerScript = fileURLToPath(new URL('./sqlite-opener.js', import.meta.url));

const OPENERS = 8;
const SPINNERS = 2;
/**
 * Each round is a brand-new stash that every opener opens at once. Without the retry, one round in 30 to 75 failed on
 * a loaded machine (two openers switching the new database to WAL together); the held-lock test below fails every time.
 */
const ROUNDS = 60;

const lockedError = (code = 'SQLITE_BUSY') => Object.assign(new Error('database is locked'), { code });

t.test('retryWhileLocked', async (t) => {
  t.test('retries a step that fails with a lock code until it succeeds', async (t) => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_PROTOCOL']) {
      let attempts = 0;
      const result = retryWhileLocked('/some/data.sqlite', () => {
        if (++attempts < 4) throw lockedError(code);
        return 'opened';
      });
      t.equal(result, 'opened', `${code} is retried`);
      t.equal(attempts, 4);
    }
  });

  t.test('rethrows any other failure at once', async (t) => {
    let attempts = 0;
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    t.throws(
      () =>
        retryWhileLocked('/some/data.sqlite', () => {
          attempts++;
          throw corrupt;
        }),
      corrupt,
    );
    t.equal(attempts, 1);
    t.notOk(isLocked(corrupt));
  });

  t.test(
    'gives up after its limit with EngineUnavailableError naming the file and how long it stayed locked',
    async (t) => {
      const started = performance.now();
      let error: unknown;
      try {
        retryWhileLocked(
          '/some/data.sqlite',
          () => {
            throw lockedError();
          },
          300,
        );
      } catch (caught) {
        error = caught;
      }
      const waited = performance.now() - started;
      t.ok(error instanceof EngineUnavailableError, 'EngineUnavailableError', { got: String(error) });
      t.equal((error as EngineUnavailableError).location, '/some/data.sqlite');
      t.match(
        (error as Error).message,
        /\/some\/data\.sqlite: other connections kept the database locked for 0\.[3-9] s \(SQLITE_BUSY/,
      );
      t.ok(waited >= 300, `it kept trying for the whole limit (${waited.toFixed(0)} ms)`);
    },
  );
});

type Reply = { round: number; ok: boolean; problem?: string };

t.test(
  `${OPENERS} processes open the same brand-new stash at once while ${SPINNERS} others keep the cores busy`,
  async (t) => {
    t.setTimeout(300_000);
    const children: ChildProcess[] = [];
    // Registered before t.testdir(), so the children are gone before the folder is removed.
    t.teardown(() => Promise.all(children.map(killAndWait)));
    const root = t.testdir();

    for (let i = 0; i < SPINNERS; i++)
      children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    const openers = Array.from({ length: OPENERS }, (_, opener) => {
      const child = spawn(process.execPath, [openerScript, root, String(opener)], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const next = async (): Promise<string> => {
        const line = await lines.next();
        return line.done ? `opener ${opener} ended early: ${stderr}` : line.value;
      };
      return { child, next };
    });
    t.strictSame(
      await Promise.all(openers.map((o) => o.next())),
      openers.map(() => 'ready'),
      'every opener loaded the library',
    );

    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const { child } of openers) child.stdin.write(`${round}\n`);
      const replies = await Promise.all(openers.map((o) => o.next()));
      for (const [opener, line] of replies.entries()) {
        let reply: Reply | undefined;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          /* not a reply: the opener died, and the line says how */
        }
        if (reply?.round !== round || !reply.ok)
          failures.push(`round ${round}, opener ${opener}: ${reply?.problem ?? line}`);
      }
      if (failures.length) break;
    }
    for (const { child } of openers) child.stdin.end();
    t.strictSame(failures.slice(0, 3), [], 'every opener opened, wrote and read back its keys in every round');

    const missing: string[] = [];
    for (let round = 0; round < ROUNDS && !failures.length; round++) {
      const stash = new HashStash({ root, name: stashName(round), engine: 'sqlite', readonly: true });
      try {
        if ((await stash.size()) !== OPENERS * KEYS)
          missing.push(`${stashName(round)} holds ${await stash.size()} entries`);
        for (let opener = 0; opener < OPENERS; opener++) {
          const keys = Array.from({ length: KEYS }, (_, i) => keyOf(opener, i));
          const values = await stash.getMany(keys);
          for (const [i, key] of keys.entries()) {
            if (!isDeepStrictEqual(values[i], valueOf(opener, i))) missing.push(`${stashName(round)}: ${key}`);
          }
        }
      } finally {
        await stash.close();
      }
    }
    t.strictSame(missing.slice(0, 5), [], 'afterwards every stash holds every key of every opener with its value');
  },
);

t.test(
  'a brand-new stash opens while another connection holds its write lock (as the first opener switching it to WAL does)',
  async (t) => {
    const children: ChildProcess[] = [];
    t.teardown(() => Promise.all(children.map(killAndWait)));
    const root = t.testdir();
    const stash = new HashStash({ root, engine: 'sqlite' });
    t.teardown(() => stash.close());
    mkdirSync(stash.path, { recursive: true });
    const go = join(root, 'go');
    const released = join(root, 'released');
    const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');
    // A write transaction on the new database, still in SQLite's default rollback mode: an opener can read it, and its
    // switch to WAL, a write begun inside that read, gets SQLITE_BUSY at once instead of waiting. The holder lets go a
    // second after it sees `go`, which this process writes just before it opens (and blocks, retrying).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `
    const { existsSync, writeFileSync } = require('node:fs');
    const db = new (require(${JSON.stringify(betterSqlite3)}))(${JSON.stringify(join(stash.path, DATABASE_FILE))});
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    const poll = setInterval(() => {
      if (!existsSync(${JSON.stringify(go)})) return;
      clearInterval(poll);
      setTimeout(() => { writeFileSync(${JSON.stringify(released)}, ''); db.exec('ROLLBACK'); db.close(); }, 1000);
    }, 10);
  `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(holder);
    const { value } = (await createInterface({ input: holder.stdout })[Symbol.asyncIterator]().next()) as {
      value: unknown;
    };
    t.equal(value, 'locked', 'another process holds the write lock');

    writeFileSync(go, '');
    stash.sync.set('k', 'written once the lock was gone');
    t.ok(existsSync(released), 'the open waited for the other connection to let go');
    t.equal(stash.sync.get('k'), 'written once the lock was gone');
    t.equal(await stash.size(), 1);
  },
);
