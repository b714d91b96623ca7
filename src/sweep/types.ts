/** One point of a sweep's output. */
export interface SweepResult<Point, R> {
  /** The point: a value of each axis. */
  readonly point: Point;
  /** What the function returned for it (now, or when it was stored). */
  readonly value: R;
}

/** What `sweep.run` resolves to. */
export interface SweepRun<Point, R> {
  /** Every selected point with its value, in grid order (the spec's axis order, the last axis varying fastest). */
  readonly output: SweepResult<Point, R>[];
  /** What this call read and computed. */
  readonly diagnostics: SweepDiagnostics;
}

/** What one `run` (or `stream`) read and computed. */
export interface SweepDiagnostics {
  /** Points selected. */
  readonly points: number;
  /** Chunks the selected points are in. */
  readonly chunks: number;
  /** Points read from storage. */
  readonly pointsRead: number;
  /** Chunks points were read from. */
  readonly chunksRead: number;
  /** Points computed by this call. */
  readonly pointsComputed: number;
  /** Chunks this call stored computed points in. */
  readonly chunksComputed: number;
  /** Points whose call failed (nothing stored for them). */
  readonly pointsFailed: number;
  /** Chunks that had some of the selected points stored and got the rest computed. */
  readonly partialChunksCompleted: number;
  /** Time reading stored chunks, in ms. */
  readonly readMs: number;
  /** Time computing missing points and storing them, in ms. */
  readonly computeMs: number;
}

/** How many chunks of a selection have every selected point stored, some, or none. */
export interface SweepChunkCounts {
  /** Chunks the selected points are in. */
  readonly total: number;
  /** With every selected point stored. */
  readonly complete: number;
  /** With some. */
  readonly partial: number;
  /** With none. */
  readonly missing: number;
}

/** How many points of a selection are stored. */
export interface SweepPointCounts {
  /** Points selected. */
  readonly total: number;
  /** Stored. */
  readonly stored: number;
  /** Not stored yet. */
  readonly missing: number;
}

/** What is stored of a selection (`sweep.status()`). */
export interface SweepStatus {
  /** Chunks of the selection. */
  readonly chunks: SweepChunkCounts;
  /** Points of the selection. */
  readonly points: SweepPointCounts;
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
