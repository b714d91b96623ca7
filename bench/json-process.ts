import { spawn } from 'node:child_process';
import { basename } from 'node:path';

/**
 * Runs `command args…` (a peer script, a measuring child), writes `input` as JSON to its stdin when given, and
 * resolves with what it printed on stdout, parsed as JSON; rejects with the last line of its stderr when it fails.
 */
export function runJsonProcess<T>(command: string, args: readonly string[], input?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const name = basename(args.findLast((arg) => arg.endsWith('.py') || arg.endsWith('.js')) ?? command);
      if (code === 0) resolve(JSON.parse(out) as T);
      else reject(new Error(`${name} exited with ${code}: ${err.trim().split('\n').at(-1) ?? ''}`));
    });
    child.stdin.end(input === undefined ? undefined : JSON.stringify(input));
  });
}
