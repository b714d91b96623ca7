import { diskUsage, type DiskUsage } from './disk-usage.js';
import type { Timing } from './measure.js';
import { RssSampler } from './rss.js';
import { fill, readLoops, runLoops, writeLoops, type Measured } from './store-loops.js';
import type { BenchStore, OpenStore, StoreOp } from './stores/store.js';
import type { Workload } from './workloads.js';

/** Every this many operations a loop samples the resident memory. */
const RSS_EVERY = 256;

/** A store that neither opens nor fails within this long is reported missing. */
const OPEN_TIMEOUT_MS = 15_000;

export interface CaseSettings {
  readonly store: BenchStore;
  /** An empty temp folder of the case's own. */
  readonly root: string;
  readonly workload: Workload<unknown>;
  /** Timed loops run at least this long; single-write loops `singleWriteFactor` times as long. */
  readonly minMs: number;
  /** Sequential fills stop after this long (the entries written are what the reads use); unset: write them all. */
  readonly fillMs?: number;
  /** The reads and writes to time beside the fill; the fill is always timed. */
  readonly ops: ReadonlySet<StoreOp>;
  /** For stores filled in bulk: `set`/`set-sync` loops of single writes to new keys run this many times `minMs`. */
  readonly singleWriteFactor: number;
  /** Measure disk use after closing (persistent stores). */
  readonly measureDisk: boolean;
}

export interface CaseOutcome {
  readonly timings: Map<StoreOp, Timing>;
  /** The op the fill was timed as: `set-many`, `set` or `set-sync`. */
  readonly fillOp: StoreOp;
  /** Entries the fill wrote; reads go over these. */
  readonly entries: number;
  /** Entries in the store when it closed (the fill plus single-write loops). */
  readonly stored: number;
  readonly rss: { peakMiB: number; growthMiB: number };
  readonly disk: DiskUsage | undefined;
}

/** Opens a store, or fails after OPEN_TIMEOUT_MS: a server engine that neither connects nor fails is reported missing. */
export async function openWithTimeout(store: BenchStore, root: string): Promise<OpenStore> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not open within ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([store.open(root), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One store on one workload in its own temp root: fill, read (awaited, synchronous, iteration: what `ops` asks and
 * the store offers), then, for bulk stores, single writes; close, and measure the disk. The resident memory is
 * sampled throughout. Timings measured before a failure are lost with it: the case is reported missing instead.
 */
export async function runCase(settings: CaseSettings): Promise<CaseOutcome> {
  const { store, workload, minMs, fillMs, ops, singleWriteFactor } = settings;
  const rss = new RssSampler();
  const onCall = (i: number) => {
    if (i % RSS_EVERY === 0) rss.sample();
  };
  const measured: Measured = new Map();
  let opened: OpenStore | undefined;
  try {
    opened = await openWithTimeout(store, settings.root);
    const count = Math.min(store.entries ?? Infinity, workload.keys.length);
    const filled = await fill(store, opened, workload, { count, ...(fillMs === undefined ? {} : { fillMs }), onCall });
    measured.set(filled.op, filled.result);
    const entries = filled.result.timing.ops;
    const loopSettings = { workload, entries, minMs, writeFactor: singleWriteFactor, ops, onCall };
    const loops = await readLoops(opened, loopSettings);
    if (store.fill === 'bulk') loops.push(...writeLoops(opened, loopSettings));
    await runLoops(loops, measured);
    const toClose = opened;
    opened = undefined;
    await toClose.close();
    const disk = settings.measureDisk && toClose.path ? diskUsage(toClose.path) : undefined;
    const timings = new Map([...measured].map(([op, { timing }]) => [op, timing] as const));
    const stored = [...measured.values()].reduce((sum, { writes = 0 }) => sum + writes, 0);
    return { timings, fillOp: filled.op, entries, stored, rss: rss.stop(), disk };
  } finally {
    rss.stop();
    await opened?.close().catch(() => {});
  }
}
