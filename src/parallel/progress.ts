import type { SingleBar } from 'cli-progress';
import { loadDriver } from '../drivers.js';

/** Where a map stands; given to `on('progress')` listeners and drawn by the bar. */
export interface MapProgress {
  /** How many items the map has. */
  readonly total: number;
  /** Computed by a worker in this map. */
  readonly done: number;
  /** Read from the stash. */
  readonly cached: number;
  /** Items that failed: their call threw, or their worker died. */
  readonly failed: number;
  /** Not finished yet: waiting for a lookup or a worker. */
  readonly pending: number;
  /** Milliseconds since the map started. */
  readonly elapsedMs: number;
  /** Items computed per second so far (cached ones are not counted: they would make the ETA a guess). */
  readonly rate: number;
  /** Time left at that rate; undefined until something was computed. */
  readonly etaMs: number | undefined;
}

/** The progress of `total` items of which `done` were computed, `cached` read and `failed`, `elapsedMs` in. */
export function progressOf(
  total: number,
  done: number,
  cached: number,
  failed: number,
  elapsedMs: number,
): MapProgress {
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const pending = total - done - cached - failed;
  return {
    total,
    done,
    cached,
    failed,
    pending,
    elapsedMs,
    rate,
    etaMs: rate > 0 ? (pending / rate) * 1000 : undefined,
  };
}

/** Without a terminal, one line at most this often (and one at the end). */
export const PROGRESS_LINE_INTERVAL_MS = 5000;

function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}

/** The counts as text: `12/400 (done 10, cached 2, failed 0) 3.10/s ETA 2m05s`. */
export function describeProgress(progress: MapProgress): string {
  const { total, done, cached, failed, pending } = progress;
  return (
    `${total - pending}/${total} (done ${done}, cached ${cached}, failed ${failed}) ` +
    `${formatRate(progress.rate)}/s ETA ${pending === 0 ? '0s' : formatDuration(progress.etaMs)}`
  );
}

export interface ProgressDisplayOptions {
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw a bar (a terminal) or print lines now and then. Default: whether the stream is a terminal. */
  readonly tty?: boolean;
  readonly lineIntervalMs?: number;
}

/** Shows a map's progress on stderr: a cli-progress bar on a terminal, otherwise a line every few seconds. */
export class ProgressDisplay {
  readonly #desc: string;
  readonly #stream: NodeJS.WritableStream;
  readonly #lineIntervalMs: number;
  readonly #bar: SingleBar | undefined;
  #lastLine = Date.now();
  #stopped = false;

  constructor(desc: string, total: number, options: ProgressDisplayOptions = {}) {
    this.#desc = desc;
    this.#stream = options.stream ?? process.stderr;
    this.#lineIntervalMs = options.lineIntervalMs ?? PROGRESS_LINE_INTERVAL_MS;
    if (options.tty ?? (this.#stream as { isTTY?: boolean }).isTTY === true) {
      const { SingleBar, Presets } = loadDriver<typeof import('cli-progress')>('cli-progress');
      this.#bar = new SingleBar(
        {
          stream: this.#stream,
          format: `${desc.replace(/[{}]/g, '')} |{bar}| {counts}`,
          hideCursor: true,
          fps: 10,
        },
        Presets.shades_classic,
      );
      this.#bar.start(total, 0, { counts: '' });
    }
  }

  update(progress: MapProgress): void {
    if (this.#stopped) return;
    if (this.#bar) {
      this.#bar.update(progress.total - progress.pending, { counts: describeProgress(progress) });
      return;
    }
    const now = Date.now();
    if (now - this.#lastLine >= this.#lineIntervalMs) {
      this.#lastLine = now;
      this.#stream.write(`${this.#desc}: ${describeProgress(progress)}\n`);
    }
  }

  /** Draws the final counts and lets go of the terminal. */
  stop(progress: MapProgress): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#bar) {
      this.#bar.update(progress.total - progress.pending, { counts: describeProgress(progress) });
      this.#bar.stop();
    } else {
      this.#stream.write(`${this.#desc}: ${describeProgress(progress)} in ${formatDuration(progress.elapsedMs)}\n`);
    }
  }
}
