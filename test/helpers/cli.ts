import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built bin, as `hashstash` runs it once installed (package.json's `bin`). */
export const CLI_BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `hashstash args…` in a Node process of its own (the real binary, not a function call) and resolves with its
 * exit code and output whatever the code. `home` becomes HASHSTASH_HOME, so the default root is the test's own.
 */
export function runCli(args: readonly string[], options: { home?: string; cwd?: string } = {}): Promise<CliRun> {
  const env = { ...process.env, ...(options.home ? { HASHSTASH_HOME: options.home } : {}) };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env, cwd: options.cwd, timeout: 120_000, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(new Error(`hashstash ${args.join(' ')}: ${error.message}`));
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}
