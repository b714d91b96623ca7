import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCase } from '../case-runner.js';
import { diskUsage } from '../disk-usage.js';
import { keepAwake } from '../keep-awake.js';
import type { Timing } from '../measure.js';
import { rotate } from '../measure.js';
import {
  runPythonPeer,
  writeWorkloadFile,
  type PythonEngine,
  type PythonOp,
  type PythonSerializer,
} from '../python/peer.js';
import { ensurePythonPeer } from '../python/setup.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { serverUrl, startServers, stopServers } from '../servers.js';
import { betterSqlite3 } from '../stores/better-sqlite3.js';
import { cacacheStore } from '../stores/cacache.js';
import { hashStashStore } from '../stores/hashstash.js';
import { ioredisRaw } from '../stores/ioredis.js';
import { keyvRedis } from '../stores/keyv-redis.js';
import { keyvSqlite } from '../stores/keyv-sqlite.js';
import { lmdbJs } from '../stores/lmdb-js.js';
import { plainFiles } from '../stores/plain-files.js';
import type { BenchStore, StoreOp } from '../stores/store.js';
import type { BenchConfig, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import type { Workload } from '../workloads.js';
import { PEER_FIGURES } from './peer-figures.js';

/**
 * hashstash (default serializer and codec) against what else a Node or Python user could cache with, timed in the
 * same run on the same records. Node stores go through bench/case-runner.ts; the Python original runs in its own
 * process (bench/python/peer.py), timing itself, on the same records written to a JSON file.
 * Writes: stores that fill in bulk (lmdb, sqlite, redis, lmdb-js, better-sqlite3, ioredis, keyv-redis) get the whole
 * workload in one call, then `set` is a loop of single awaited writes to new keys; the others (pairtree, plain files,
 * cacache, keyv-sqlite, every Python engine) write one entry at a time in key order, timed as `set`, for all the
 * workload or FILL_FACTOR × `minMs`, whichever ends first. Reads go over what was written, in the shuffled order.
 * Quick mode: one round, the small workload, no warm-up, the Python original with pickle only.
 */
const STORES: readonly BenchStore[] = [
  hashStashStore('lmdb', { fill: 'bulk' }),
  hashStashStore('sqlite', { fill: 'bulk' }),
  hashStashStore('pairtree'),
  hashStashStore('redis', { fill: 'bulk', server: 'redis', workloads: ['small'] }),
  lmdbJs,
  betterSqlite3,
  keyvSqlite,
  plainFiles,
  cacacheStore,
  ioredisRaw,
  keyvRedis,
];

const NODE_OPS: ReadonlySet<StoreOp> = new Set(['set', 'set-sync', 'get', 'get-sync', 'iterate']);
/** Sequential fills and single-write loops run this many times `minMs`. */
const FILL_FACTOR = 3;

interface PythonSubject {
  readonly name: string;
  readonly engine: PythonEngine;
  readonly serializer: PythonSerializer;
  readonly ops: readonly PythonOp[];
  /** Whom the subject is compared with: hashstash on lmdb, and on the same engine. */
  readonly peers: readonly string[];
}

const PYTHON_ENGINES: readonly PythonEngine[] = ['lmdb', 'pairtree', 'sqlite', 'redis'];
const PYTHON_SERIALIZERS: readonly PythonSerializer[] = ['pickle', 'hashstash'];

/** Every engine with each serializer, no compression; and the memoized-call hit in its fastest configuration. */
const PYTHON_SUBJECTS: readonly PythonSubject[] = [
  ...PYTHON_ENGINES.flatMap((engine) =>
    PYTHON_SERIALIZERS.map((serializer) => ({
      name: `python-${engine}-${serializer}`,
      engine,
      serializer,
      ops: ['set', 'get', 'iterate'] as PythonOp[],
      peers: [...new Set(['lmdb', engine])],
    })),
  ),
  // The memo suite's function: a record by its key; stash.run(record_named, key) over the keys it stored, all hits.
  { name: 'python-hashstash', engine: 'lmdb', serializer: 'pickle', ops: ['run-hit'], peers: ['lmdb'] },
];

/** Same rule as the stash suite: server stores on the small workload only. */
const onWorkload = (workloads: readonly string[] | undefined, name: string) => !workloads || workloads.includes(name);

function record(recorder: Recorder, key: CaseKey, round: number, timing: Timing | undefined): void {
  if (timing && timing.ops > 0 && timing.seconds > 0) recorder.sample(key, round, timing);
}

export const peersSuite: Suite = {
  name: 'peers',
  title: 'Peers: hashstash beside lmdb-js, better-sqlite3, ioredis, plain files, keyv, cacache and the Python original',
  subjects: [
    ...STORES.map(({ name, yardstick, peers }) => ({ name, yardstick, ...(peers ? { peers } : {}) })),
    ...PYTHON_SUBJECTS.map(({ name, peers }) => ({ name, yardstick: true, peers })),
  ],
  figures: PEER_FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const stores = STORES.filter((store) => selected.has(store.name));
    let pythonSubjects = PYTHON_SUBJECTS.filter(
      (subject) => selected.has(subject.name) && (!config.quick || subject.serializer === 'pickle'),
    );
    let python: string | undefined;
    if (pythonSubjects.length) {
      const peer = ensurePythonPeer(config.log);
      if ('missing' in peer) {
        for (const subject of pythonSubjects) recorder.missing(subject.name, peer.missing);
        pythonSubjects = [];
      } else {
        python = peer.python;
        config.log(`  python peer: ${peer.versions}`);
      }
    }
    const workloads: Workload<unknown>[] = config.quick ? [config.small()] : [config.small(), config.large()];
    const rounds = config.quick ? 1 : config.rounds;
    const dataFolder = makeTempRoot();
    const workloadFiles = new Map<string, string>();
    if (python)
      for (const workload of workloads) workloadFiles.set(workload.name, writeWorkloadFile(workload, dataFolder));

    type Case = { kind: 'node'; store: BenchStore } | { kind: 'python'; subject: PythonSubject };
    const cases: Case[] = [
      ...stores.map((store) => ({ kind: 'node' as const, store })),
      ...pythonSubjects.map((subject) => ({ kind: 'python' as const, subject })),
    ];
    const nameOf = (c: Case) => (c.kind === 'node' ? c.store.name : c.subject.name);
    const serverOf = (c: Case) =>
      c.kind === 'node' ? c.store.server : c.subject.engine === 'redis' ? 'redis' : undefined;
    const runsOn = (c: Case, workload: Workload<unknown>) =>
      c.kind === 'node'
        ? onWorkload(c.store.workloads, workload.name)
        : workload.name === 'small' || (c.subject.engine !== 'redis' && !c.subject.ops.includes('run-hit'));

    const runNode = async (
      store: BenchStore,
      workload: Workload<unknown>,
      root: string,
      minMs: number,
      round: number | undefined,
    ) => {
      const outcome = await runCase({
        store,
        root,
        workload,
        minMs,
        fillMs: minMs * FILL_FACTOR,
        ops: NODE_OPS,
        singleWriteFactor: FILL_FACTOR,
        measureDisk: round === 0,
      });
      if (round === undefined) return;
      const key = (op: StoreOp): CaseKey => ({
        group: workload.name,
        subject: store.name,
        op,
        yardstick: store.yardstick,
      });
      for (const [op, timing] of outcome.timings) record(recorder, key(op), round, timing);
      if (round === 0) {
        recorder.note(key(outcome.fillOp), 'entries', outcome.entries);
        if (outcome.disk)
          recorder.note(key(outcome.fillOp), 'disk B/entry', Math.round(outcome.disk.allocatedBytes / outcome.stored));
        for (const [op, via] of Object.entries(store.via ?? {}))
          if (outcome.timings.has(op as StoreOp)) recorder.note(key(op as StoreOp), 'via', via);
      }
    };

    const runPython = async (
      subject: PythonSubject,
      workload: Workload<unknown>,
      root: string,
      minMs: number,
      round: number | undefined,
    ) => {
      const result = await runPythonPeer(python!, {
        engine: subject.engine,
        serializer: subject.serializer,
        compress: 'raw',
        b64: subject.engine === 'redis' ? null : false,
        root,
        workload: { file: workloadFiles.get(workload.name)! },
        ops: subject.ops,
        rounds: 1,
        minMs,
        fillMs: minMs * FILL_FACTOR,
        ...(subject.engine === 'redis' ? { redisUrl: serverUrl('redis') } : {}),
      });
      if (round === undefined) return;
      const key = (op: StoreOp | 'run-hit'): CaseKey => ({
        group: workload.name,
        subject: subject.name,
        op,
        yardstick: true,
      });
      for (const [op, timing] of Object.entries(result.rounds[0] ?? {}))
        record(recorder, key(op as PythonOp), round, timing);
      if (round === 0) {
        const first = subject.ops[0];
        recorder.note(key(first), 'entries', result.entries[0] ?? null);
        recorder.note(
          key(first),
          'via',
          `Python ${result.python}, hashstash ${result.hashstash}: ${subject.engine}, ${subject.serializer}, raw`,
        );
        if (subject.ops.includes('set') && subject.engine !== 'redis' && result.paths[0] && result.entries[0]) {
          recorder.note(
            key(first),
            'disk B/entry',
            Math.round(diskUsage(result.paths[0]).allocatedBytes / result.entries[0]),
          );
        }
      }
    };

    const attempt = async (c: Case, workload: Workload<unknown>, minMs: number, round: number | undefined) => {
      if (recorder.isMissing(nameOf(c)) || !runsOn(c, workload)) return;
      const root = makeTempRoot();
      const awake = serverOf(c) ? await keepAwake() : undefined;
      try {
        if (c.kind === 'node') await runNode(c.store, workload, root, minMs, round);
        else
          await runPython(
            c.subject,
            workload,
            (mkdirSync(join(root, 'py'), { recursive: true }), join(root, 'py')),
            minMs,
            round,
          );
      } catch (error) {
        const phase = round === undefined ? 'warm-up' : `round ${round + 1}`;
        recorder.missing(nameOf(c), `${workload.name}, ${phase}: ${(error as Error).message}`);
      } finally {
        await awake?.stop();
        await removeTempRoots([root]);
      }
    };

    try {
      await startServers(
        cases.flatMap((c) => {
          const server = serverOf(c);
          return server ? [server] : [];
        }),
        config.log,
      );
      // A short warm-up of the Node stores (libraries loaded, code compiled), except in quick mode; each Python process
      // warms up its own way.
      for (const workload of config.quick ? [] : workloads) {
        for (const c of cases) if (c.kind === 'node') await attempt(c, workload, config.minMs / 4, undefined);
      }
      for (let round = 0; round < rounds; round++) {
        for (const workload of workloads) {
          for (const c of rotate(cases, round)) await attempt(c, workload, config.minMs, round);
        }
        config.log(`  peers: round ${round + 1}/${rounds} done`);
      }
    } finally {
      await stopServers();
      await removeTempRoots([dataFolder]);
    }
  },
};
