/** The set-up's few log lines: stderr, so they never mix into the TAP stream on stdout. */
export function log(message: string): void {
  process.stderr.write(`[test-servers] ${message}\n`);
}

/** Milliseconds since `start`, as "1.2 s" or "350 ms". */
export function elapsed(start: number): string {
  const ms = performance.now() - start;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
