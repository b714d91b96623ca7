import type { Recorder } from './recorder.js';
import type { LargeRecord, SmallRecord, Workload } from './workloads.js';

/** What every suite gets from the runner. */
export interface BenchConfig {
  /** Interleaved rounds: each round measures every case once. */
  readonly rounds: number;
  /** A timed loop runs at least this long. */
  readonly minMs: number;
  /** `--quick`: suites that cost much may measure less (say what in bench/README.md). */
  readonly quick: boolean;
  /** The workloads, built on first use and shared by the suites. */
  small(): Workload<SmallRecord>;
  large(): Workload<LargeRecord>;
  log(line: string): void;
}

/** A headline ratio: numerator / denominator computed in each round, then the median of those ratios. */
export interface FigureSpec {
  readonly name: string;
  /**
   * Case ids inside the suite (`group/subject/op`); the first one that was measured is used. With `across`, full case
   * ids (`suite/group/subject/op`) of any suite, and the runner computes the figure once every suite has run.
   */
  readonly numerator: readonly string[];
  /** Empty: the figure is the numerator's own ops/s, an absolute rate, and `target` is in ops/s. */
  readonly denominator: readonly string[];
  /** PASS when the median ratio is at least this. Figures without a target are reported for information. */
  readonly target?: number;
  readonly across?: boolean;
}

/** Something a suite measures: a library part, or a plain-Node yardstick it is compared with. */
export interface Subject {
  readonly name: string;
  readonly yardstick: boolean;
  /** For a yardstick: the library subjects it is compared with. Unset: every library subject of its suite. */
  readonly peers?: readonly string[];
}

export interface Suite {
  /** The name `--filter` matches and case ids start with. */
  readonly name: string;
  readonly title: string;
  readonly subjects: readonly Subject[];
  readonly figures: readonly FigureSpec[];
  /** Measures the selected subjects (names from `subjects`), `config.rounds` interleaved rounds. */
  run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>): Promise<void>;
}

/**
 * The subjects `--filter` selects. A term names a suite (`stash`), a subject in any suite (`pairtree`), or one
 * subject of one suite (`codecs/lz4`). Yardsticks come along with the selected library subjects they are compared
 * with (those without `peers`, with any), so ratios always have their denominator.
 */
export function selectSubjects(suite: Suite, terms: readonly string[]): Set<string> {
  if (terms.length === 0) return new Set(suite.subjects.map((s) => s.name));
  const named = (s: Subject) =>
    terms.some((term) => term === suite.name || term === s.name || term === `${suite.name}/${s.name}`);
  const matched = suite.subjects.filter(named);
  const library = new Set(matched.filter((s) => !s.yardstick).map((s) => s.name));
  const comesAlong = (s: Subject) =>
    s.yardstick && library.size > 0 && (!s.peers || s.peers.some((peer) => library.has(peer)));
  return new Set([...matched, ...suite.subjects.filter(comesAlong)].map((s) => s.name));
}
