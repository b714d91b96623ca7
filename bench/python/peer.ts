import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Timing } from '../measure.js';
import type { Workload } from '../workloads.js';
import { PEER_SCRIPT } from './setup.js';

export type PythonEngine = 'lmdb' | 'pairtree' | 'sqlite' | 'redis';
export type PythonSerializer = 'pickle' | 'hashstash';
export type PythonOp = 'set' | 'get' | 'iterate' | 'run-hit';

/** What bench/python/peer.py reads on stdin (see its docstring). */
export interface PythonSpec {
  readonly engine: PythonEngine;
  readonly serializer: PythonSerializer;
  readonly compress: string;
  readonly b64: boolean | null;
  readonly root: string;
  readonly workload: { readonly file: string };
  readonly ops: readonly PythonOp[];
  readonly rounds: number;
  readonly minMs: number;
  readonly fillMs: number;
  readonly redisUrl?: string;
}

export interface PythonResult {
  readonly python: string;
  readonly hashstash: string;
  /** Entries written, per round. */
  readonly entries: readonly number[];
  /** The stash's data path, per round. */
  readonly paths: readonly string[];
  readonly rounds: readonly Partial<Record<PythonOp, Timing>>[];
}

/** A run that neither finishes nor fails within this long is stopped. */
const PEER_TIMEOUT_MS = 300_000;

/**
 * Writes a workload as the JSON peer.py reads (keys, values, read order), once per run, so every Python case reads the
 * very records the Node side uses without sending tens of megabytes through a pipe each time.
 */
export function writeWorkloadFile(workload: Workload<unknown>, folder: string): string {
  const file = join(folder, `${workload.name}-workload.json`);
  writeFileSync(file, JSON.stringify({ keys: workload.keys, values: workload.values, readOrder: workload.readOrder }));
  return file;
}

/** Runs peer.py with the spec; rejects with the script's own error message when it fails. */
export function runPythonPeer(python: string, spec: PythonSpec): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [PEER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), PEER_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8').trim();
      let parsed: (PythonResult & { error?: undefined }) | { error: string } | undefined;
      try {
        parsed = text ? (JSON.parse(text.split('\n').at(-1)!) as typeof parsed) : undefined;
      } catch {
        parsed = undefined;
      }
      if (parsed && !('error' in parsed && parsed.error) && code === 0) return resolve(parsed as PythonResult);
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').at(-1) ?? '';
      const why =
        parsed && 'error' in parsed && parsed.error
          ? parsed.error
          : signal
            ? `killed by ${signal}`
            : `exit code ${code}: ${stderr}`;
      reject(new Error(`peer.py: ${why}`));
    });
    child.stdin.end(JSON.stringify(spec));
  });
}
