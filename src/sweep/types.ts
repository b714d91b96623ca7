/** One point of a sweep's output. */
export interface SweepResult<Point, R> {
  readonly point: Point;
  readonly value: R;
}

/** What one `run` (or `stream`) read and computed. */
export interface SweepDiagnostics {
  /** Points and chunks selected. */
  readonly points: number;
  readonly chunks: number;
  /** Points read from storage, and chunks they were read from. */
  readonly pointsRead: number;
  readonly chunksRead: number;
  /** Points computed, and chunks they were stored in. */
  readonly pointsComputed: number;
  readonly chunksComputed: number;
  /** Points whose call failed (nothing stored for them). */
  readonly pointsFailed: number;
  /** Chunks that had some of the selected points stored and got the rest computed. */
  readonly partialChunksCompleted: number;
  /** Time reading stored chunks, and computing (and storing) missing points, in ms. */
  readonly readMs: number;
  readonly computeMs: number;
}

/** What is stored of a selection (`sweep.status()`). */
export interface SweepStatus {
  readonly chunks: {
    readonly total: number;
    readonly complete: number;
    readonly partial: number;
    readonly missing: number;
  };
  readonly points: { readonly total: number; readonly stored: number; readonly missing: number };
}

/** The counts of one run as it goes. */
export class DiagnosticsCounter {
  pointsRead = 0;
  chunksRead = 0;
  pointsComputed = 0;
  chunksComputed = 0;
  pointsFailed = 0;
  partialChunksCompleted = 0;
  readMs = 0;
  computeMs = 0;

  constructor(
    readonly points: number,
    readonly chunks: number,
  ) {}

  result(): SweepDiagnostics {
    return { ...this };
  }
}
