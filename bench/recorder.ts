import { summarize, type Stat, type Timing } from './measure.js';
import type { FigureSpec } from './suite.js';

/** One measured case: a subject doing one operation on one workload. */
export interface CaseKey {
  /** The workload or input, e.g. `small`; also the table the case is printed in. */
  readonly group: string;
  readonly subject: string;
  readonly op: string;
  /** A plain-Node reference the library is compared with, not the library itself. */
  readonly yardstick?: boolean;
}

export type Note = number | string | null;

export interface CaseResult {
  readonly id: string;
  readonly suite: string;
  readonly group: string;
  readonly subject: string;
  readonly op: string;
  readonly yardstick: boolean;
  readonly opsPerSec: Stat | undefined;
  /** 1e9 / median ops/s. */
  readonly nsPerOp: number | undefined;
  /** Present when the case moves a known number of bytes per operation. */
  readonly mbPerSec: Stat | undefined;
  readonly notes: Readonly<Record<string, Note>>;
}

export interface MissingSubject {
  readonly suite: string;
  readonly subject: string;
  readonly reason: string;
}

export interface FigureResult {
  readonly name: string;
  readonly suite: string;
  readonly numerator: string | undefined;
  readonly denominator: string | undefined;
  readonly target: number | undefined;
  /** True when a later candidate stood in for the first numerator or denominator (e.g. no sync view). */
  readonly substituted: boolean;
  /** Median of the per-round ratios; undefined when no round measured both sides. */
  readonly ratio: Stat | undefined;
  /** '×' for a ratio; 'ops/s' for a spec without a denominator, whose figure is the numerator's own rate. */
  readonly unit: '×' | 'ops/s';
  readonly verdict: 'PASS' | 'FAIL' | 'INFO' | 'NOT MEASURED';
}

interface CaseRecord {
  readonly key: CaseKey;
  readonly opsPerSec: (number | null)[];
  readonly mbPerSec: (number | null)[];
  readonly notes: Record<string, Note>;
}

/** Collects a suite's per-round samples, notes and missing subjects. */
export class Recorder {
  private readonly cases = new Map<string, CaseRecord>();
  private readonly missingSubjects = new Map<string, string>();

  constructor(
    readonly suite: string,
    readonly rounds: number,
  ) {}

  static caseId(key: Pick<CaseKey, 'group' | 'subject' | 'op'>): string {
    return `${key.group}/${key.subject}/${key.op}`;
  }

  private record(key: CaseKey): CaseRecord {
    const id = Recorder.caseId(key);
    let found = this.cases.get(id);
    if (!found) {
      found = {
        key,
        opsPerSec: Array<number | null>(this.rounds).fill(null),
        mbPerSec: Array<number | null>(this.rounds).fill(null),
        notes: {},
      };
      this.cases.set(id, found);
    }
    return found;
  }

  /** Records one round's timing; `bytesPerOp` adds a MB/s figure (1 MB = 1e6 bytes). */
  sample(key: CaseKey, round: number, timing: Timing, bytesPerOp?: number): void {
    const entry = this.record(key);
    const opsPerSec = timing.ops / timing.seconds;
    entry.opsPerSec[round] = opsPerSec;
    if (bytesPerOp !== undefined) entry.mbPerSec[round] = (opsPerSec * bytesPerOp) / 1e6;
  }

  /** A fact about a case that does not vary by round (output bytes, disk use…). */
  note(key: CaseKey, name: string, value: Note): void {
    this.record(key).notes[name] = value;
  }

  /** A note recorded earlier for the case, if any. */
  noteOf(key: CaseKey, name: string): Note | undefined {
    return this.cases.get(Recorder.caseId(key))?.notes[name];
  }

  /** A subject that could not be measured, with the reason; the first reason given is kept. */
  missing(subject: string, reason: string): void {
    if (!this.missingSubjects.has(subject)) this.missingSubjects.set(subject, reason);
  }

  isMissing(subject: string): boolean {
    return this.missingSubjects.has(subject);
  }

  results(): CaseResult[] {
    return [...this.cases.entries()].map(([id, { key, opsPerSec, mbPerSec, notes }]) => {
      const ops = summarize(opsPerSec);
      return {
        id: `${this.suite}/${id}`,
        suite: this.suite,
        group: key.group,
        subject: key.subject,
        op: key.op,
        yardstick: key.yardstick ?? false,
        opsPerSec: ops,
        nsPerOp: ops ? 1e9 / ops.median : undefined,
        mbPerSec: summarize(mbPerSec),
        notes,
      };
    });
  }

  missingList(): MissingSubject[] {
    return [...this.missingSubjects].map(([subject, reason]) => ({ suite: this.suite, subject, reason }));
  }

  /** numerator / denominator in every round that measured both, then the median of those ratios. */
  figure(spec: FigureSpec): FigureResult {
    return ratioFigure(
      spec,
      this.suite,
      (id) => this.cases.get(id)?.opsPerSec,
      (id) => `${this.suite}/${id}`,
    );
  }
}

/**
 * A headline ratio from per-round samples: `samplesOf` finds a case's ops/s by the ids the spec names, `fullId` turns
 * such an id into the case id the results carry. Suites use it on their own cases (ids inside the suite); the runner
 * on every suite's cases, for figures that compare across suites (`across`, full ids).
 */
export function ratioFigure(
  spec: FigureSpec,
  suite: string,
  samplesOf: (id: string) => readonly (number | null)[] | undefined,
  fullId: (id: string) => string,
): FigureResult {
  const measured = (ids: readonly string[]) => ids.find((id) => samplesOf(id)?.some((v) => v !== null));
  const numerator = measured(spec.numerator);
  const denominator = measured(spec.denominator);
  const absolute = spec.denominator.length === 0;
  let ratio: Stat | undefined;
  if (numerator && absolute) ratio = summarize(samplesOf(numerator)!);
  if (numerator && denominator) {
    const top = samplesOf(numerator)!;
    const bottom = samplesOf(denominator)!;
    ratio = summarize(top.map((value, round) => (value !== null && bottom[round] ? value / bottom[round] : null)));
  }
  const verdict = !ratio
    ? 'NOT MEASURED'
    : spec.target === undefined
      ? 'INFO'
      : ratio.median >= spec.target
        ? 'PASS'
        : 'FAIL';
  return {
    name: spec.name,
    suite,
    numerator: numerator && fullId(numerator),
    denominator: denominator && fullId(denominator),
    target: spec.target,
    substituted:
      (numerator !== undefined && numerator !== spec.numerator[0]) ||
      (denominator !== undefined && denominator !== spec.denominator[0]),
    ratio,
    unit: absolute ? 'ops/s' : '×',
    verdict,
  };
}
