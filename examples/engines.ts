// Engines: the same code on each engine that needs no server (lmdb, the default; sqlite; pairtree, plain files;
// memory, shared by every worker thread of the process). Where the data lives follows from the settings, so stashes
// with other settings never read each other's data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { HashStash, type EngineName } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-engines-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const engines: EngineName[] = ['lmdb', 'sqlite', 'pairtree', 'memory'];
for (const engine of engines) {
  await using stash = new HashStash({ root, name: 'cities', engine });
  await stash.set({ city: 'Lyon' }, { population: 522_250, rivers: new Set(['Rhône', 'Saône']) });
  const { rivers } = (await stash.get({ city: 'Lyon' })) as { rivers: Set<string> };
  // Local engines also have a synchronous view.
  const population = (stash.sync.get({ city: 'Lyon' }) as { population: number }).population;
  console.log(
    `${engine.padEnd(8)} rivers ${[...rivers].join(', ')}; population ${population}; data in <root>/${relative(root, stash.path)}`,
  );
}

// Same root and name, other settings: another folder, so nothing is shared by accident.
await using lz4 = new HashStash({ root, name: 'cities' });
await using zlib = new HashStash({ root, name: 'cities', compress: 'zlib' });
console.log(
  `lmdb with lz4 holds ${await lz4.size()} entry, lmdb with zlib ${await zlib.size()}: it lives in <root>/${relative(root, zlib.path)}`,
);
