import { HashStashError } from '../errors.js';
import { UsageError } from './usage-error.js';

/**
 * Prints why a command failed, on stderr, and says the exit code: 2 for a usage error, else 1. The message of an error
 * hashstash threw on purpose or of a system error (a file that is not there); the stack of anything else (a bug to
 * report). A reader that went away (`hashstash export | head`) ends the command quietly, with 0.
 */
export function reportFailure(error: unknown): number {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 0;
  const known =
    error instanceof UsageError ||
    error instanceof HashStashError ||
    (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string');
  const text = known ? error.message : error instanceof Error ? (error.stack ?? String(error)) : String(error);
  process.stderr.write(`hashstash: ${text}\n`);
  return error instanceof UsageError ? 2 : 1;
}
