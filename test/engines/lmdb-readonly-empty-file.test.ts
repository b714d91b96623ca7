/**
 * A readonly lmdb stash reads a `data.mdb` that a writer has created but not yet written LMDB's first pages in (an
 * empty file) as empty: LMDB opening such a file read-only crashed the process with a segmentation fault.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashStash } from '../../src/index.js';

t.test(
  'lmdb: a readonly stash reads an empty data.mdb (being created) as empty, and then what is written',
  async (t) => {
    const root = t.testdir();
    await using writer = new HashStash({ root, engine: 'lmdb' });
    mkdirSync(writer.path, { recursive: true });
    writeFileSync(join(writer.path, 'data.mdb'), '');
    await using reader = new HashStash({ root, engine: 'lmdb', readonly: true });
    t.equal(await reader.get('k'), undefined);
    t.equal(reader.sync.size(), 0);
    await writer.set('k', 1);
    t.equal(await reader.get('k'), 1, 'the same stash reads the data once the writer has initialized the file');
  },
);
