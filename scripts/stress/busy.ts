import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Processes that keep cores busy while a stress round runs, as on a loaded CI machine: `stop()` ends them.
 * Each is a plain spin loop in its own process, so it competes for CPU like any other program would.
 */
export function keepCoresBusy(count: number): { stop(): Promise<void> } {
  const spinners: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    spinners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
  return {
    async stop() {
      await Promise.all(
        spinners.map(async (spinner) => {
          if (spinner.exitCode !== null || spinner.signalCode !== null) return;
          const gone = once(spinner, 'close');
          spinner.kill('SIGKILL');
          await gone;
        }),
      );
    },
  };
}
