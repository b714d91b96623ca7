// What `npm pack` ships: the entry points it names, the usual files, and source maps only with their sources.
import t from 'tap';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { packInto } from '../helpers/pack.js';

t.test('the tarball holds what package.json points at, the usual files, and maps with their sources', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-tarball-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { packageDir, files } = await packInto(dir);
  const shipped = new Set(files);

  for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) t.ok(shipped.has(file), `ships ${file}`);
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    main: string;
    types: string;
    bin: Record<string, string>;
    exports: Record<string, string | Record<string, string>>;
  };
  const conditions = Object.values(manifest.exports).flatMap((target) =>
    typeof target === 'string' ? [target] : Object.values(target),
  );
  const entries = [manifest.main, manifest.types, ...conditions];
  t.ok(
    conditions.includes('./dist/src/test-suite/index.js'),
    'the conformance suite, hashstash/test-suite, is an entry point',
  );
  for (const entry of entries) t.ok(shipped.has(join(entry)), `ships the entry point ${entry}`);
  t.ok(shipped.has('dist/src/parallel/worker.js'), 'ships the worker stash.map starts by URL');
  t.ok(shipped.has(join(manifest.bin['hashstash'])), 'ships the hashstash command');
  t.match(await readFile(join(packageDir, manifest.bin['hashstash']), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  t.ok(shipped.has('dist/src/cli/commands/export.js'), "ships the commands' modules, imported when they run");

  const outside = files.filter(
    (file) =>
      !/^(dist\/src|src)\//.test(file) && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(file),
  );
  t.same(outside, [], 'nothing but the library, its sources and the usual files (no tests, benches or scripts)');

  const maps = files.filter((file) => file.endsWith('.map'));
  t.ok(maps.length > 0, 'source maps are shipped');
  const missing: string[] = [];
  for (const map of maps) {
    const { sources } = JSON.parse(await readFile(join(packageDir, map), 'utf8')) as { sources: string[] };
    for (const source of sources) {
      const target = relative(packageDir, resolve(packageDir, dirname(map), source));
      if (!shipped.has(target)) missing.push(`${map} -> ${source}`);
      else await access(join(packageDir, target));
    }
  }
  t.same(missing, [], 'every source a map points to is in the tarball');
});
