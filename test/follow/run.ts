/** Runs a follower process and then a writer process over one stash (batches.ts) and collects what they print. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FollowJob } from './batches.js';

const followerScript = fileURLToPath(new URL('./follower.js', import.meta.url));
const writerScript = fileURLToPath(new URL('./writer.js', import.meta.url));

export interface FollowerReport {
  done: true;
  reads: number;
  iterations: number;
  seen: number;
  errors: string[];
}

export interface Run {
  follower: FollowerReport | undefined;
  /** The writer's lines: one per batch (`checkpoint` on sqlite), then `{ done, fileBytes }`. */
  writer: Record<string, unknown>[];
  /** A child that failed: its exit and stderr. */
  failures: string[];
}

function start(script: string, job: FollowJob, children: ChildProcess[]) {
  const child = spawn(process.execPath, [script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const input = createInterface({ input: child.stdout });
  input.on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const ready = new Promise<void>((resolve) => input.once('line', () => resolve()));
  const closed = new Promise<string | undefined>((resolve) => {
    child.once('error', (error) => resolve(`${script} could not start: ${error.message}`));
    child.once('close', (code, signal) =>
      resolve(code === 0 ? undefined : `${script} ended with code ${code}, signal ${signal}: ${stderr}`),
    );
  });
  return { lines, ready: Promise.race([ready, closed]), closed };
}

/** The follower starts first (the stash does not exist yet), the writer once the follower is reading. */
export async function followWhileWriting(job: FollowJob, children: ChildProcess[]): Promise<Run> {
  const follower = start(followerScript, job, children);
  await follower.ready;
  const writer = start(writerScript, job, children);
  const failures = (await Promise.all([writer.closed, follower.closed])).filter((f) => f !== undefined);
  const report = follower.lines.at(-1) as FollowerReport | undefined;
  return { follower: report?.done ? report : undefined, writer: writer.lines, failures };
}
