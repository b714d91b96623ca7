// Our published types compile in a strict TypeScript project (strict, exactOptionalPropertyTypes,
// noUncheckedIndexedAccess, skipLibCheck: false) that has only hashstash and @types/node installed: no optional
// library's types (arquero, ioredis, mongodb, better-sqlite3) leak into ours.
import t from 'tap';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packInto, repoRoot } from '../helpers/pack.js';

// What our public types may need from outside. Add a runtime dependency only if the types truly need it, never an
// optional one.
const TYPE_DEPENDENCIES = ['@types/node'];

t.test('a strict ESM and CJS TypeScript consumer compiles against the packed package', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-types-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await packInto(dir);
  for (const name of TYPE_DEPENDENCIES) {
    await mkdir(join(dir, 'node_modules', name, '..'), { recursive: true });
    await symlink(join(repoRoot, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  await cp(join(repoRoot, 'test', 'package', 'consumer'), dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'types-consumer', private: true, type: 'module' }));

  // lib/tsc.js, not bin/tsc: Node loads an extensionless main through require(esm), which the hooks tap puts into
  // every child process break.
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
  const compiled = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--listFiles'], {
    cwd: dir,
    timeout: 60_000,
  }).then(
    ({ stdout }) => ({ ok: true, stdout }),
    (error: Error & { stdout?: string; stderr?: string }) => ({
      ok: false,
      stdout: `${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`,
    }),
  );
  const errors = compiled.stdout.split('\n').filter((line) => line.includes('error TS'));
  t.same(errors, [], 'no type errors');
  t.ok(compiled.ok, 'tsc exits 0', compiled.ok ? {} : { output: compiled.stdout });
  // The consumer really read our declarations from the tarball, not from anywhere else.
  t.ok(
    compiled.stdout.includes(join(dir, 'node_modules', 'hashstash', 'dist', 'src', 'index.d.ts')),
    'index.d.ts from the tarball',
  );
});
