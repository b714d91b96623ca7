// The cli suite's export pass, in a Node process of its own (started with --expose-gc by bench/suites/cli.ts), so the
// RSS growth it measures starts from a fresh heap:
//   node --expose-gc dist/bench/suites/cli-export.js '{"stash":"/tmp/x/main/lmdb.hashstash.lz4","warm":"/tmp/y/…","out":"/tmp/x.jsonl"}'
// Runs the export command's module (what `hashstash export <stash> -o <out>` runs): once on the small `warm` stash
// (the code, lmdb and the write stream loaded before the baseline), then on `stash`. Prints as JSON the seconds the
// export took, its peak RSS growth over a baseline taken after a full GC, and the anonymous part of that growth
// (heap and buffers, not the pages of the stash's mapped file), in MiB. The command's own line on stderr is ignored.
import { readFileSync } from 'node:fs';
import { run } from '../../src/cli/commands/export.js';
import { RssSampler } from '../rss.js';

interface Job {
  readonly stash: string;
  readonly warm: string;
  readonly out: string;
}

/** The resident set's anonymous part in MiB, from /proc (Linux); else undefined. */
function anonMiB(): number | undefined {
  try {
    const found = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return found ? Number(found[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const job = JSON.parse(process.argv[2]) as Job;
await run(job.warm, { format: 'jsonl', output: job.out });
const sampler = new RssSampler();
const anonBase = anonMiB();
let anonPeak = anonBase ?? 0;
const anonTimer = setInterval(() => {
  anonPeak = Math.max(anonPeak, anonMiB() ?? 0);
}, 10);
const started = process.hrtime.bigint();
await run(job.stash, { format: 'jsonl', output: job.out });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(anonTimer);
anonPeak = Math.max(anonPeak, anonMiB() ?? 0);
const { growthMiB } = sampler.stop();
process.stdout.write(
  JSON.stringify({ seconds, growthMiB, anonMiB: anonBase === undefined ? null : anonPeak - anonBase }),
);
