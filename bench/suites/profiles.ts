import type { CaseOutcome } from '../case-runner.js';
import { runCase } from '../case-runner.js';
import { keepAwake } from '../keep-awake.js';
import { rotate } from '../measure.js';
import { fullGrid, isDefaultProfile, sweeps, type Profile } from '../profile-design.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { startServers, stopServers, type ServerKind } from '../servers.js';
import { hashStashStore } from '../stores/hashstash.js';
import { MONGO_ENTRIES } from '../stores/mongodb.js';
import type { BenchStore, StoreOp } from '../stores/store.js';
import type { BenchConfig, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import type { Workload } from '../workloads.js';

/**
 * Profiles: every engine × serializer × codec (± base64) through the facade, on the standard workloads. What each
 * costs in time is bounded by design (see bench/README.md, "profiles"):
 * - small (20,000 records): the full grid of 180 combinations, at most GRID_ROUNDS rounds, loops of half `minMs`;
 *   in quick mode the sweeps instead.
 * - large (500 × 100 KB): the sweeps (each engine with the defaults; on lmdb every serializer and every codec ± b64),
 *   `config.rounds` rounds; in quick mode each engine with the defaults only. Quick mode runs one round of each.
 * Server engines run on the small workload only, as in the stash suite.
 * Each case opens an empty stash, fills it (`set-many` through `stash.update` for lmdb, sqlite and the servers, one
 * awaited `set` per entry for memory and pairtree), reads every entry in the shuffled order with awaited `get`s,
 * iterates, closes; the first round notes bytes per entry and every round the peak resident memory.
 */
const GRID_ROUNDS = 2;
/**
 * Pairtree writes one file per entry, and file-system work dominates whatever the serializer and codec: in the small
 * grid its combinations other than the defaults write this many entries (30 × 20,000 files a round took minutes here,
 * and half a minute a case when other work loaded the disk). Its default combination writes the whole workload.
 */
const PAIRTREE_GRID_ENTRIES = 2000;
const OPS: ReadonlySet<StoreOp> = new Set(['get', 'iterate']);
const SERVER_ENGINES: Partial<Record<Profile['engine'], ServerKind>> = { redis: 'redis', mongo: 'mongo' };
const BULK_ENGINES = new Set<Profile['engine']>(['lmdb', 'sqlite', 'redis', 'mongo']);
/** Values whose stored size is averaged for `stored B/entry`. */
const SIZE_SAMPLE = 100;

type CodecApi = typeof import('../../src/codecs/index.js');
type SerializerApi = typeof import('../../src/serializers/index.js');

function storeFor(p: Profile, entries?: number): BenchStore {
  const server = SERVER_ENGINES[p.engine];
  return hashStashStore(p.engine, {
    name: p.name,
    options: { serializer: p.serializer, compress: p.compress, b64: p.b64 },
    fill: BULK_ENGINES.has(p.engine) ? 'bulk' : 'sequential',
    ...(server ? { server, workloads: ['small'] as const } : {}),
    ...(p.engine === 'mongo' ? { entries: MONGO_ENTRIES } : entries ? { entries } : {}),
  });
}

interface ProfileCase {
  readonly profile: Profile;
  readonly store: BenchStore;
  readonly workload: Workload<unknown>;
  readonly rounds: number;
  readonly minMs: number;
}

/** The stored value's size, header included (the key is not counted): what the codec and serializer decide. */
function storedBytesPerEntry(
  p: Profile,
  workload: Workload<unknown>,
  apis: { codecs: CodecApi; serializers: SerializerApi; header: number },
): number {
  const sample = workload.values.slice(0, SIZE_SAMPLE);
  let total = 0;
  for (const value of sample) {
    total +=
      apis.header +
      apis.codecs.encode(apis.serializers.serialize(value, p.serializer), { compress: p.compress, b64: p.b64 })
        .byteLength;
  }
  return Math.round(total / sample.length);
}

function recordOutcome(recorder: Recorder, c: ProfileCase, round: number, outcome: CaseOutcome): void {
  const key = (op: StoreOp): CaseKey => ({ group: c.workload.name, subject: c.profile.name, op });
  for (const [op, timing] of outcome.timings) recorder.sample(key(op), round, timing);
  const fillKey = key(outcome.fillOp);
  const previousPeak = recorder.noteOf(fillKey, 'peak RSS MiB');
  if (typeof previousPeak !== 'number' || outcome.rss.peakMiB > previousPeak) {
    recorder.note(fillKey, 'peak RSS MiB', Math.round(outcome.rss.peakMiB));
    recorder.note(fillKey, 'RSS growth MiB', Math.round(outcome.rss.growthMiB * 10) / 10);
  }
  if (round !== 0) return;
  recorder.note(fillKey, 'entries', outcome.entries);
  if (outcome.disk) {
    recorder.note(fillKey, 'disk B/entry', Math.round(outcome.disk.allocatedBytes / outcome.stored));
    recorder.note(fillKey, 'apparent B/entry', Math.round(outcome.disk.apparentBytes / outcome.stored));
  }
}

function warmupWorkload<V>(workload: Workload<V>, count: number): Workload<V> {
  return {
    ...workload,
    keys: workload.keys.slice(0, count),
    values: workload.values.slice(0, count),
    readOrder: workload.readOrder.filter((index) => index < count),
  };
}

const SUBJECTS = [...new Map([...fullGrid(), ...sweeps()].map((p) => [p.name, p])).values()];

export const profilesSuite: Suite = {
  name: 'profiles',
  title:
    'Profiles: engine × serializer × codec through the facade (set, get, iterate, bytes and peak memory per entry)',
  subjects: SUBJECTS.map(({ name }) => ({ name, yardstick: false })),
  figures: [],

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const pick = (list: readonly Profile[]) => list.filter((p) => selected.has(p.name));
    const small = config.small() as Workload<unknown>;
    const large = config.large() as Workload<unknown>;
    const smallProfiles = pick(config.quick ? sweeps() : fullGrid());
    const largeProfiles = pick(sweeps()).filter(
      (p) => !SERVER_ENGINES[p.engine] && (!config.quick || isDefaultProfile(p)),
    );
    const cases: ProfileCase[] = [
      ...smallProfiles.map((profile) => ({
        profile,
        store: storeFor(
          profile,
          profile.engine === 'pairtree' && !isDefaultProfile(profile) ? PAIRTREE_GRID_ENTRIES : undefined,
        ),
        workload: small,
        rounds: config.quick ? 1 : Math.min(GRID_ROUNDS, config.rounds),
        minMs: config.minMs / 2,
      })),
      ...largeProfiles.map((profile) => ({
        profile,
        store: storeFor(profile),
        workload: large,
        rounds: config.quick ? 1 : config.rounds,
        minMs: config.minMs,
      })),
    ];
    const [codecs, serializers, format] = await Promise.all([
      import('../../src/codecs/index.js'),
      import('../../src/serializers/index.js'),
      import('../../src/format/header.js'),
    ]);
    for (const c of cases) {
      try {
        const bytes = storedBytesPerEntry(c.profile, c.workload, { codecs, serializers, header: format.HEADER_SIZE });
        recorder.note(
          {
            group: c.workload.name,
            subject: c.profile.name,
            op: BULK_ENGINES.has(c.profile.engine) ? 'set-many' : 'set',
          },
          'stored B/entry',
          bytes,
        );
      } catch (error) {
        recorder.missing(c.profile.name, `${c.workload.name}: ${(error as Error).message}`);
      }
    }

    const attempt = async (c: ProfileCase, workload: Workload<unknown>, minMs: number, round: number | undefined) => {
      if (recorder.isMissing(c.profile.name)) return;
      const root = makeTempRoot();
      const awake = c.store.server ? await keepAwake() : undefined;
      try {
        const outcome = await runCase({
          store: c.store,
          root,
          workload,
          minMs,
          ops: OPS,
          singleWriteFactor: 0,
          measureDisk: round === 0,
        });
        if (round !== undefined) recordOutcome(recorder, c, round, outcome);
      } catch (error) {
        const phase = round === undefined ? 'warm-up' : `round ${round + 1}`;
        recorder.missing(c.profile.name, `${workload.name}, ${phase}: ${(error as Error).message}`);
      } finally {
        await awake?.stop();
        // Removed at once: the full grid would leave millions of pairtree files behind.
        await removeTempRoots([root]);
      }
    };

    try {
      await startServers(
        cases.flatMap((c) => (c.store.server ? [c.store.server] : [])),
        config.log,
      );
      // Warm-up: one short case per engine and workload, so no profile pays for loading a library or JIT compilation.
      const seen = new Set<string>();
      for (const c of cases) {
        const id = `${c.profile.engine}/${c.workload.name}`;
        if (seen.has(id)) continue;
        seen.add(id);
        await attempt(c, warmupWorkload(c.workload, c.workload.name === 'small' ? 500 : 20), c.minMs / 4, undefined);
      }
      const rounds = Math.max(...cases.map((c) => c.rounds), 0);
      for (let round = 0; round < rounds; round++) {
        const inRound = rotate(
          cases.filter((each) => each.rounds > round),
          round,
        );
        for (const [index, c] of inRound.entries()) {
          await attempt(c, c.workload, c.minMs, round);
          if ((index + 1) % 50 === 0)
            config.log(`  profiles: round ${round + 1}, ${index + 1}/${inRound.length} cases`);
        }
        config.log(`  profiles: round ${round + 1}/${rounds} done`);
      }
    } finally {
      await stopServers();
    }
  },
};
