/**
 * A child process for crash.test.ts: `node crash-child.js '<job as JSON>'` opens a temporary stash of the job's
 * stash, writes to it and to a sub-stash of it, prints one line of JSON (`{ id, path, subPath, size }`), and then waits
 * to be killed with SIGKILL, so it never disposes of the temporary stash.
 */
import { writeSync } from 'node:fs';
import { HashStash, type HashStashOptions } from '../../src/index.js';

const options = JSON.parse(process.argv[2]) as HashStashOptions;
const stash = new HashStash(options);
const tmp = stash.tmp();
await tmp.update(Array.from({ length: 100 }, (_, i) => [`k${i}`, { i }] as const));
const sub = tmp.sub('inner');
await sub.set('s', 'sub value');
writeSync(1, `${JSON.stringify({ id: tmp.tmpId, path: tmp.path, subPath: sub.path, size: await tmp.size() })}\n`);
// Bounded, so an orphan (its parent gone before killing it) ends on its own.
setTimeout(() => process.exit(3), 120_000);
