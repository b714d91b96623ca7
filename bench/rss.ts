import { collectGarbage } from './measure.js';

const MIB = 2 ** 20;
/** Asynchronous phases are sampled on a timer this often; synchronous loops call `sample()` themselves. */
const TIMER_MS = 5;

/**
 * The peak resident memory of one case, sampled: `process.memoryUsage.rss()` (cheap, unlike resourceUsage's maxRSS,
 * which is the whole process's lifetime peak) on a timer while the case awaits, and wherever a loop calls `sample()`.
 * The baseline is taken after a full GC, so `growthMiB` is what the case itself held at its peak.
 */
export class RssSampler {
  readonly baseline: number;
  private peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    collectGarbage();
    this.baseline = process.memoryUsage.rss();
    this.peak = this.baseline;
    this.timer = setInterval(() => this.sample(), TIMER_MS);
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Stops the timer; returns the peak and the growth over the baseline, in MiB. */
  stop(): { peakMiB: number; growthMiB: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakMiB: this.peak / MIB, growthMiB: (this.peak - this.baseline) / MIB };
  }
}
