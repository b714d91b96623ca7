/**
 * `node writer.js '<FollowJob as JSON>'`: stores the job's batches (batches.ts), one `setMany` each, and prints a
 * JSON line per batch; on sqlite it forces a TRUNCATE checkpoint every `checkpointEvery` batches through a connection
 * of its own. Ends with `{ done: true, fileBytes }`.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HashStash } from '../../src/index.js';
import { batchEntries, stashOptions, type FollowJob, type Key, type Value } from './batches.js';

type Database = { pragma(source: string): unknown[]; close(): void };
const job = JSON.parse(process.argv[2]) as FollowJob;
const stash = new HashStash<Key, Value>(stashOptions(job));
const print = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
let checkpointer: Database | undefined;
try {
  for (let batch = 0; batch < job.batches; batch++) {
    await stash.setMany(batchEntries(batch, job.pad));
    let checkpoint: unknown;
    if (job.checkpointEvery && (batch + 1) % job.checkpointEvery === 0) {
      const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => Database;
      checkpointer ??= new Database(join(stash.path, 'data.sqlite'));
      checkpoint = checkpointer.pragma('wal_checkpoint(TRUNCATE)')[0];
    }
    print({ batch, checkpoint });
  }
  const file = job.engine === 'lmdb' ? 'data.mdb' : 'data.sqlite';
  print({ done: true, fileBytes: statSync(join(stash.path, file)).size });
} finally {
  checkpointer?.close();
  await stash.close();
}
