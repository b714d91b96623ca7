// The load suite's memory case, in a Node process of its own (started with --expose-gc by bench/suites/load.ts), so
// the RSS growth it measures starts from a fresh heap, not one the suite's timed loads already grew:
//   node --expose-gc dist/bench/suites/load-rss.js '{"file":"/tmp/x/records.ndjson.gz","root":"/tmp/y","workers":2}'
// Loads the file into a new lmdb stash at root with stash.load(file, { key: 'id', workers }) and prints as JSON the
// RSS growth over the load (its peak, sampled every 5 ms, over a baseline taken after a full GC with the stash open and written to once),
// in MiB, the records loaded and the seconds it took. The RSS is the process's: the worker threads' heaps count too.
import { HashStash } from '../../src/index.js';
import { RssSampler } from '../rss.js';

interface Job {
  readonly file: string;
  readonly root: string;
  readonly workers: number;
}

const job = JSON.parse(process.argv[2]) as Job;
await using stash = new HashStash({ engine: 'lmdb', root: job.root, name: 'load-rss' });
// One write first: lmdb-js allocates its write buffers (some 17 MB) on the first, load or not.
await stash.set('load-rss-warm', 1);
await stash.delete('load-rss-warm');
const sampler = new RssSampler();
const start = performance.now();
const result = await stash.load(job.file, { key: 'id', workers: job.workers, progress: false });
const seconds = (performance.now() - start) / 1000;
const { growthMiB } = sampler.stop();
process.stdout.write(JSON.stringify({ growthMiB, records: result.records, seconds }));
