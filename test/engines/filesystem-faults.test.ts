// A full disk and a read-only file system, made real with small tmpfs mounts. Mounting needs root and a kernel that
// allows it; where it does not, the tests say so and are skipped (CI runs as root on a machine that allows it).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineUnavailableError, HashStash, HashStashError, ReadOnlyError, type EngineName } from '../../src/index.js';

const engines: EngineName[] = ['lmdb', 'sqlite', 'pairtree'];

function mount(sizeKb: number): { dir: string; readOnly(): void; readWrite(): void; unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'hashstash-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]})`;
  }
  return {
    dir,
    readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }),
    readWrite: () => execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' }),
    unmount: () => {
      // Lazy: a database the library had to abandon after a failed commit may still be mapped by this process.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const probe = mount(64);
const cannotMount = typeof probe === 'string' ? probe : undefined;
if (typeof probe !== 'string') probe.unmount();
if (cannotMount) console.log(`# SKIP file-system fault tests: ${cannotMount}`);

const text = (n: number) => 'x'.repeat(n);

for (const engine of engines) {
  t.test(
    `${engine}: a full disk is a typed error naming the path, and nothing stored before is lost`,
    { skip: cannotMount },
    async (t) => {
      const fs = mount(2048) as Exclude<ReturnType<typeof mount>, string>;
      const root = join(fs.dir, 'stashes');
      mkdirSync(root);
      const stash = new HashStash({ root, engine, compress: false });
      // Teardowns run in the order they are added: close before unmounting.
      t.teardown(() => stash.close().catch(() => {}));
      t.teardown(() => fs.unmount());
      // No failure may escape as an unhandled rejection: under Node's default that ends the user's process. lmdb-js's
      // default event-turn batching did exactly that on a failed commit (kriszyp/lmdb-js#368; src/engines/lmdb/store.ts).
      const stray: unknown[] = [];
      const onStray = (reason: unknown) => {
        stray.push(reason);
      };
      process.on('unhandledRejection', onStray);
      t.teardown(() => {
        process.off('unhandledRejection', onStray);
      });
      for (let i = 0; i < 20; i++) await stash.set(`small-${i}`, { i });
      let failure: unknown;
      let stored = 0;
      for (let i = 0; i < 200 && !failure; i++) {
        try {
          await stash.set(`big-${i}`, text(100_000));
          stored = i + 1;
        } catch (error) {
          failure = error;
        }
      }
      t.ok(failure, 'the disk filled up');
      t.ok(
        failure instanceof HashStashError,
        `a HashStashError, got ${(failure as Error)?.name}: ${(failure as Error)?.message}`,
      );
      t.match((failure as Error).message, fs.dir, 'the message names the path');
      for (let i = 0; i < 20; i++) t.same(await stash.get(`small-${i}`), { i }, `small-${i} survives`);
      for (let i = 0; i < stored; i++)
        t.equal(
          ((await stash.get(`big-${i}`)) as { length: number } | undefined)?.length,
          100_000,
          `big-${i} survives`,
        );
      // Sets fired together on the full disk (one shared commit on lmdb) each reject with a typed error.
      const together = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => stash.set(`burst-${i}`, text(50_000))),
      );
      for (const outcome of together) {
        if (outcome.status === 'rejected')
          t.ok(
            outcome.reason instanceof HashStashError,
            `a burst write fails typed: ${(outcome.reason as Error)?.message}`,
          );
      }
      t.ok(
        together.some((outcome) => outcome.status === 'rejected'),
        'the disk is still full',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      t.strictSame(
        stray.map((reason) => String((reason as Error)?.stack ?? reason)),
        [],
        'no unhandled rejection',
      );
    },
  );

  t.test(
    `${engine}: on a read-only file system reads work (sqlite: a clear error) and writes are ReadOnlyError`,
    { skip: cannotMount },
    async (t) => {
      const fs = mount(4096) as Exclude<ReturnType<typeof mount>, string>;
      const opened: HashStash[] = [];
      t.teardown(async () => {
        for (const stash of opened) await stash.close().catch(() => {});
        fs.unmount();
      });
      const writer = new HashStash({ root: fs.dir, engine });
      await writer.set('kept', { value: 1 });
      await writer.close();
      fs.readOnly();
      for (const readonly of [true, false]) {
        const stash = new HashStash({ root: fs.dir, engine, readonly });
        opened.push(stash);
        if (engine === 'sqlite') {
          // SQLite must create `-shm` beside a WAL database even to read it (see src/engines/sqlite/store.ts).
          const error = await stash.get('kept').then(
            () => undefined,
            (e: unknown) => e,
          );
          t.ok(error instanceof EngineUnavailableError, `a typed error, got ${(error as Error)?.name}`);
          t.match((error as Error).message, /read-only file system/);
          t.match((error as Error).message, fs.dir);
        } else {
          t.same(await stash.get('kept'), { value: 1 }, `read with readonly: ${readonly}`);
          t.equal(await stash.size(), 1);
        }
        const error = await stash.set('new', 2).then(
          () => undefined,
          (e: unknown) => e,
        );
        const expected = engine === 'sqlite' && !readonly ? EngineUnavailableError : ReadOnlyError;
        t.ok(
          error instanceof expected,
          `set is a ${expected.name} (readonly: ${readonly}), got ${(error as Error)?.name}: ${(error as Error)?.message}`,
        );
        await stash.close();
      }
      fs.readWrite();
      const after = new HashStash({ root: fs.dir, engine });
      opened.push(after);
      t.same(await after.get('kept'), { value: 1 }, 'the data is intact once the storage is writable again');
      t.equal(await after.size(), 1);
    },
  );
}
