/** Starts sequence-child.ts participants as processes or worker threads and reads their reports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SequenceJob, SequenceReport } from './sequence-child.js';

const script = fileURLToPath(new URL('./sequence-child.js', import.meta.url));

export interface Participant {
  /** The next report of the given type; rejects on an error report or when the participant ends first. */
  next(type: SequenceReport['type']): Promise<SequenceReport>;
  go(): void;
  kill(): Promise<unknown>;
}

function inbox(): {
  push(report: SequenceReport): void;
  end(why: string): void;
  next(type: SequenceReport['type']): Promise<SequenceReport>;
} {
  const reports: SequenceReport[] = [];
  const waiting: (() => void)[] = [];
  let ended: string | undefined;
  const wake = () => {
    for (const w of waiting.splice(0)) w();
  };
  return {
    push: (report) => {
      reports.push(report);
      wake();
    },
    end: (why) => {
      ended ??= why;
      wake();
    },
    async next(type) {
      for (;;) {
        const at = reports.findIndex((r) => r.type === type || r.type === 'error');
        if (at >= 0) {
          const [report] = reports.splice(at, 1);
          if (report.type === 'error') throw new Error(`participant failed: ${report.error}`);
          return report;
        }
        if (ended !== undefined) throw new Error(`participant ended before '${type}': ${ended}`);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
  };
}

export function startProcess(job: SequenceJob): Participant & { readonly child: ChildProcess } {
  const child = spawn(process.execPath, [script, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const box = inbox();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => box.push(JSON.parse(line) as SequenceReport));
  child.on('close', (code, signal) => box.end(`exit code ${code}, signal ${signal}: ${stderr}`));
  return {
    child,
    next: box.next,
    go: () => child.stdin.end('go\n'),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'close');
      child.kill('SIGKILL');
      await gone;
    },
  };
}

export function startThread(job: SequenceJob): Participant {
  const worker = new Worker(script, { workerData: job });
  const box = inbox();
  worker.on('message', (report: SequenceReport) => box.push(report));
  worker.on('error', (error) => box.end(`crashed: ${error.stack}`));
  worker.on('exit', (code) => box.end(`exit code ${code}`));
  return { next: box.next, go: () => worker.postMessage('go'), kill: () => worker.terminate() };
}
