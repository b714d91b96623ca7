import type { ProgressDisplay } from '../parallel/progress.js';

/** Progress is redrawn every this many entries (a bar redraws at most 10 times a second anyway). */
const EVERY = 1_000;

/** Counts entries for a progress bar on stderr; does nothing unless stderr is a terminal. */
export interface Progress {
  /** One more entry done. */
  tick(): void;
  /** Draws the final count and lets go of the terminal. */
  stop(): void;
}

const SILENT: Progress = { tick() {}, stop() {} };

/**
 * A progress bar for `total` entries on stderr when it is a terminal (the map's bar, parallel/progress.ts), else
 * silence: a pipe or a log file gets no progress lines.
 */
export async function progressBar(desc: string, total: () => Promise<number>): Promise<Progress> {
  if (!process.stderr.isTTY) return SILENT;
  const [{ ProgressDisplay, progressOf }, count] = await Promise.all([import('../parallel/progress.js'), total()]);
  const display: ProgressDisplay = new ProgressDisplay(desc, count, { tty: true });
  const started = Date.now();
  let done = 0;
  const at = () => progressOf(Math.max(count, done), done, 0, 0, Date.now() - started);
  return {
    tick() {
      if (++done % EVERY === 0) display.update(at());
    },
    stop() {
      display.stop(at());
    },
  };
}
