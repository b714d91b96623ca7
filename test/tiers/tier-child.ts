/**
 * A process for the tier process tests:
 * - `reader`: opens a stash with a memory tier, loads `key` into it, prints `ready`, then reads `key` every
 *   millisecond and prints `{"value":…,"at":<ms since epoch>}` each time what it reads changes.
 * - `writer`: writes keys 0, 1, 2… through the tiers and appends each key to `log` once its write has resolved
 *   (acknowledged), until it is killed.
 *   node tier-child.js '{"mode":"reader","root":…,"engine":…,"url":…,"key":"k"}'
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HashStash, type EngineName } from '../../src/index.js';

interface Job {
  readonly mode: 'reader' | 'writer';
  readonly root: string;
  readonly engine: EngineName;
  readonly url?: string;
  readonly key?: string;
  readonly log?: string;
}

const job = JSON.parse(process.argv[2]) as Job;
const stash = new HashStash<string | number, unknown>({
  root: job.root,
  name: 'shared',
  engine: job.engine,
  ...(job.url ? { url: job.url } : {}),
  memory: { maxBytes: '4mb' },
});

if (job.mode === 'reader') {
  const key = job.key!;
  await stash.prefetch([key]);
  let last = JSON.stringify(await stash.get(key)) as string | undefined;
  process.stdout.write('ready\n');
  for (;;) {
    const now = JSON.stringify(await stash.get(key));
    if (now !== last) {
      last = now;
      process.stdout.write(
        `${JSON.stringify({ value: now === undefined ? null : (JSON.parse(now) as unknown), at: Date.now() })}\n`,
      );
    }
    await sleep(1);
  }
} else {
  for (let i = 0; ; i++) {
    await stash.set(i, { i, text: 'x'.repeat(i % 2_000) });
    appendFileSync(job.log!, `${i}\n`);
  }
}
