import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { runJsonProcess } from '../json-process.js';
import { rotate, timeOnce, type Timing } from '../measure.js';
import { ensurePythonPeer, VENV_DIR } from '../python/setup.js';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import { seededRandom } from '../workloads.js';

/**
 * Bulk loading (issue 19): `stash.load(file, { key: 'id', workers })` on lmdb against hugedict 2.14.6's
 * `rocksdb_load` (bench/python/hugedict_peer.py, run with the bench venv's Python, into which this suite pip-installs
 * HUGEDICT_REQUIREMENT), on the same file.
 * The file: 1,000,000 NDJSON records (quick: 200,000), about 100 bytes a line (`{"id":"Q…","label":"…","n":…,
 * "ok":…,"kind":"…"}`, seeded), gzipped, written once. Each round, in a rotated order:
 * - `stash-load/load-w1` and `load-w2`: the whole file into a new lmdb stash with 1 and with 2 workers (ops: records).
 *   The stash stores each record without its `id` (the default value), hugedict the whole record (its NDJSON record
 *   type with `value: None`, the object itself).
 * - `hugedict/load`: `rocksdb_load(dbpath, RocksDBOptions(create_if_missing=True), [file], {record_type: {type:
 *   'ndjson', key: 'id', value: None}, is_sorted: False}, verbose=False, compact=False)`.
 * - `get`: READS seeded random keys of the file, read one after another: `await stash.get(key)` on the stash the
 *   2-worker load filled, and `db[key]` on a read-only `RocksDBDict` of hugedict's database whose values are parsed
 *   with orjson (`deser_value=orjson.loads`); each side checks the record it read.
 * - `rss` (round 1 only), in a child process (bench/suites/load-rss.ts): the RSS growth over a 2-worker load of the
 *   same file, against RSS_BUDGET_MIB.
 */
const SIZES = { full: { records: 1_000_000, reads: 200_000 }, quick: { records: 200_000, reads: 50_000 } } as const;
const RECORD_SEED = 20;
const READ_SEED = 21;
const RSS_BUDGET_MIB = 150;
export const HUGEDICT_REQUIREMENT = 'hugedict==2.14.6';
const GROUP = 'load';
const STASH = 'stash-load';
const HUGEDICT = 'hugedict';
const PEER_SCRIPT = fileURLToPath(new URL('../../../bench/python/hugedict_peer.py', import.meta.url));
const RSS_SCRIPT = fileURLToPath(new URL('./load-rss.js', import.meta.url));

const SUBJECTS: readonly Subject[] = [
  { name: STASH, yardstick: false },
  { name: HUGEDICT, yardstick: true, peers: [STASH] },
];

const id = (subject: string, op: string) => `${GROUP}/${subject}/${op}`;
const FIGURES: readonly FigureSpec[] = [
  {
    name: 'stash.load of 1,000,000 NDJSON.gz records (~100 bytes) into lmdb: 2 workers / 1 worker',
    numerator: [id(STASH, 'load-w2')],
    denominator: [id(STASH, 'load-w1')],
    target: 1.4,
  },
  {
    name: 'stash.load (2 workers, lmdb) / hugedict 2.14.6 rocksdb_load, the same NDJSON.gz file',
    numerator: [id(STASH, 'load-w2')],
    denominator: [id(HUGEDICT, 'load')],
    target: 1,
  },
  {
    name: 'random reads of the loaded records: await stash.get(key) (lmdb) / hugedict RocksDBDict[key] (orjson values)',
    numerator: [id(STASH, 'get')],
    denominator: [id(HUGEDICT, 'get')],
    target: 3,
  },
  {
    name: `stash.load RSS: ${RSS_BUDGET_MIB} MiB / peak growth over a 2-worker load of the file`,
    numerator: [id(STASH, 'rss-budget-mib')],
    denominator: [id(STASH, 'rss-growth-mib')],
    target: 1,
  },
];

const KINDS = ['person', 'place', 'thing', 'event', 'idea'];

/** The file's records as NDJSON lines, about 100 bytes each, the same in every run. */
async function writeRecords(path: string, count: number): Promise<void> {
  const random = seededRandom(RECORD_SEED);
  async function* chunks() {
    for (let start = 0; start < count; start += 10_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(count, start + 10_000); i++) {
        const label = `label ${Math.floor(random() * 1e9).toString(36)} of record ${i}`;
        const kind = KINDS[Math.floor(random() * KINDS.length)];
        lines.push(JSON.stringify({ id: `Q${i}`, label, n: Math.floor(random() * 1e6), ok: random() < 0.5, kind }));
      }
      yield `${lines.join('\n')}\n`;
    }
  }
  await pipeline(Readable.from(chunks()), createGzip(), createWriteStream(path));
}

/** `count` keys of the file, drawn at random with the same seed every run. */
function randomKeys(count: number, records: number): string[] {
  const random = seededRandom(READ_SEED);
  return Array.from({ length: count }, () => `Q${Math.floor(random() * records)}`);
}

/** Python with hugedict in the bench venv, pip-installed there once; or why there is none. */
function hugedictPython(config: BenchConfig): { python: string } | { missing: string } {
  const peer = ensurePythonPeer(config.log);
  if ('missing' in peer) return peer;
  const { python } = peer;
  const wanted = HUGEDICT_REQUIREMENT.split('==')[1];
  const check = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("hugedict"))'], {
    encoding: 'utf8',
  });
  if (check.status === 0 && check.stdout.trim() === wanted) return { python };
  config.log(`  hugedict peer: pip install '${HUGEDICT_REQUIREMENT}' into ${VENV_DIR}`);
  const installed = spawnSync(python, ['-m', 'pip', 'install', '--quiet', HUGEDICT_REQUIREMENT], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (installed.status !== 0) {
    const why = String(installed.stderr ?? installed.error?.message ?? '')
      .trim()
      .split('\n')
      .at(-1);
    return { missing: `pip install ${HUGEDICT_REQUIREMENT} failed: ${why}` };
  }
  return { python };
}

interface HugedictResult {
  readonly load: Timing;
  readonly get: Timing;
}

async function stashLoad(root: string, name: string, file: string, workers: number): Promise<Timing> {
  const { HashStash } = await import('../../src/index.js');
  await using stash = new HashStash({ engine: 'lmdb', root, name });
  await stash.size();
  return timeOnce(async () => (await stash.load(file, { key: 'id', workers, progress: false })).records);
}

async function stashGets(root: string, name: string, keys: readonly string[]): Promise<Timing> {
  const { HashStash } = await import('../../src/index.js');
  await using stash = new HashStash({ engine: 'lmdb', root, name, readonly: true });
  await stash.get(keys[0]);
  return timeOnce(async () => {
    for (const key of keys) {
      const record = (await stash.get(key)) as { label?: unknown } | undefined;
      if (typeof record?.label !== 'string') throw new Error(`stash.get(${key}) read it wrong`);
    }
    return keys.length;
  });
}

export const loadSuite: Suite = {
  name: 'load',
  title: 'Bulk loading: stash.load (lmdb, 1 and 2 workers) beside hugedict rocksdb_load, then random reads',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const { records, reads } = config.quick ? SIZES.quick : SIZES.full;
    const keys = randomKeys(reads, records);
    let python: string | undefined;
    if (selected.has(HUGEDICT)) {
      const peer = hugedictPython(config);
      if ('missing' in peer) recorder.missing(HUGEDICT, peer.missing);
      else python = peer.python;
    }
    const dataRoot = makeTempRoot();
    const roots = [dataRoot];
    const sample = (subject: string, op: string, round: number, timing: Timing) =>
      recorder.sample({ group: GROUP, subject, op, yardstick: subject !== STASH }, round, timing);
    try {
      const file = join(dataRoot, 'records.ndjson.gz');
      await writeRecords(file, records);
      for (let round = 0; round < config.rounds; round++) {
        const root = makeTempRoot();
        roots.push(root);
        const cases: (() => Promise<void>)[] = [];
        if (selected.has(STASH)) {
          cases.push(async () => {
            sample(STASH, 'load-w1', round, await stashLoad(root, 'w1', file, 1));
          });
          cases.push(async () => {
            sample(STASH, 'load-w2', round, await stashLoad(root, 'w2', file, 2));
            sample(STASH, 'get', round, await stashGets(root, 'w2', keys));
          });
        }
        if (python) {
          const peer = python;
          cases.push(async () => {
            try {
              const result = await runJsonProcess<HugedictResult>(peer, [PEER_SCRIPT], {
                file,
                dbpath: join(root, 'hugedict'),
                records,
                keys,
              });
              sample(HUGEDICT, 'load', round, result.load);
              sample(HUGEDICT, 'get', round, result.get);
            } catch (error) {
              recorder.missing(HUGEDICT, (error as Error).message);
              python = undefined;
            }
          });
        }
        for (const run of rotate(cases, round)) await run();
        if (round === 0 && selected.has(STASH)) {
          const rss = await runJsonProcess<{ growthMiB: number; records: number; seconds: number }>(process.execPath, [
            '--expose-gc',
            RSS_SCRIPT,
            JSON.stringify({ file, root: join(root, 'rss'), workers: 2 }),
          ]);
          sample(STASH, 'rss-growth-mib', round, { ops: rss.growthMiB, seconds: 1 });
          sample(STASH, 'rss-budget-mib', round, { ops: RSS_BUDGET_MIB, seconds: 1 });
          config.log(`  load: RSS grew ${rss.growthMiB.toFixed(1)} MiB over a 2-worker load of ${rss.records} records`);
        }
        await removeTempRoots([root]);
        roots.pop();
      }
    } finally {
      await removeTempRoots(roots);
    }
  },
};
