import type { FigureSpec } from '../suite.js';

const small = (subject: string, op: string) => `small/${subject}/${op}`;
const large = (subject: string, op: string) => `large/${subject}/${op}`;

const PYTHON_ENGINES = ['lmdb', 'pairtree', 'sqlite', 'redis'] as const;

/**
 * hashstash on lmdb against the Python original on each of its engines, with pickle and no compression (its fastest
 * serializer and codec): faster on every one for set and get, ≥ 3× on an awaited get, ≥ 5× with the sync view.
 * Writing is compared the way each writes a workload: `stash.update(pairs)` here, one transaction; the original's
 * `update` is `stash[key] = value` per entry, which is what it is timed doing. One awaited `stash.set` at a time
 * is a durable lmdb commit each (an fsync), so it is compared, for information, with the original's lmdb only,
 * which commits (and syncs) each write too.
 */
const AGAINST_PYTHON: FigureSpec[] = PYTHON_ENGINES.flatMap((engine) => [
  {
    name: `lmdb await stash.get / Python hashstash ${engine} get, pickle (small)`,
    numerator: [small('lmdb', 'get')],
    denominator: [small(`python-${engine}-pickle`, 'get')],
    target: 3,
  },
  {
    name: `lmdb stash.sync.get / Python hashstash ${engine} get, pickle (small)`,
    numerator: [small('lmdb', 'get-sync')],
    denominator: [small(`python-${engine}-pickle`, 'get')],
    target: 5,
  },
  {
    name: `lmdb await stash.update(workload) / Python hashstash ${engine} stash[key] = value × workload, pickle (small)`,
    numerator: [small('lmdb', 'set-many')],
    denominator: [small(`python-${engine}-pickle`, 'set')],
    target: 1,
  },
]);

/** The headline ratios of the peers suite; bench/figures-table.ts prints them for the README. */
export const PEER_FIGURES: readonly FigureSpec[] = [
  ...AGAINST_PYTHON,
  // Single writes, for information: ours is a durable lmdb commit each; the original's pairtree and redis do not sync.
  ...PYTHON_ENGINES.map((engine) => ({
    name: `lmdb await stash.set, one durable commit each / Python hashstash ${engine} stash[key] = value, pickle (small)`,
    numerator: [small('lmdb', 'set')],
    denominator: [small(`python-${engine}-pickle`, 'set')],
  })),
  {
    name: 'memoized call hit on lmdb vs the Python original (stash.run hit / Python stash.run hit, lmdb, pickle, raw)',
    numerator: ['memo/small/hashstash-lmdb/run-hit'],
    denominator: ['peers/small/python-hashstash/run-hit'],
    target: 20,
    across: true,
  },
  {
    name: 'sqlite await stash.get / keyv + @keyv/sqlite await keyv.get (small)',
    numerator: [small('sqlite', 'get')],
    denominator: [small('keyv-sqlite', 'get')],
    target: 10,
  },
  {
    name: 'sqlite await stash.set / keyv + @keyv/sqlite await keyv.set (small)',
    numerator: [small('sqlite', 'set')],
    denominator: [small('keyv-sqlite', 'set')],
    target: 10,
  },
  {
    name: 'pairtree await stash.get / cacache await cacache.get (small)',
    numerator: [small('pairtree', 'get')],
    denominator: [small('cacache', 'get')],
    target: 10,
  },
  {
    name: 'pairtree await stash.set / cacache await cacache.put (small)',
    numerator: [small('pairtree', 'set')],
    denominator: [small('cacache', 'set')],
  },
  {
    name: 'pairtree await stash.get / cacache await cacache.get (100 KB)',
    numerator: [large('pairtree', 'get')],
    denominator: [large('cacache', 'get')],
  },
  {
    name: 'lmdb await stash.get / Python hashstash lmdb get, pickle (100 KB)',
    numerator: [large('lmdb', 'get')],
    denominator: [large('python-lmdb-pickle', 'get')],
  },
  {
    name: 'lmdb await stash.get / Python hashstash lmdb get, its hashstash serializer (small)',
    numerator: [small('lmdb', 'get')],
    denominator: [small('python-lmdb-hashstash', 'get')],
  },
  {
    name: 'lmdb stash.sync.get / lmdb-js get, msgpack (small)',
    numerator: [small('lmdb', 'get-sync')],
    denominator: [small('lmdb-js', 'get-sync')],
  },
  {
    name: 'sqlite stash.sync.get / better-sqlite3 get + JSON.parse (small)',
    numerator: [small('sqlite', 'get-sync')],
    denominator: [small('better-sqlite3', 'get-sync')],
  },
  {
    name: 'pairtree stash.sync.get / plain files readFileSync + JSON.parse (small)',
    numerator: [small('pairtree', 'get-sync')],
    denominator: [small('plain-files', 'get-sync')],
  },
  {
    name: 'redis await stash.get / ioredis GET + JSON.parse (small)',
    numerator: [small('redis', 'get')],
    denominator: [small('ioredis', 'get')],
  },
  {
    name: 'redis await stash.get / keyv + @keyv/redis await keyv.get (small)',
    numerator: [small('redis', 'get')],
    denominator: [small('keyv-redis', 'get')],
  },
];
