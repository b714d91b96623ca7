import { HashStashError } from '../errors.js';
import { UsageError } from './usage-error.js';

/**
 * Prints why a command failed, on stderr: the message of an error hashstash threw on purpose or of a system error (a
 * file that is not there), the stack of anything else (a bug to report). True when it was a usage error (exit 2).
 */
export function reportFailure(error: unknown): boolean {
  const known =
    error instanceof UsageError ||
    error instanceof HashStashError ||
    (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string');
  const text = known ? error.message : error instanceof Error ? (error.stack ?? String(error)) : String(error);
  process.stderr.write(`hashstash: ${text}\n`);
  return error instanceof UsageError;
}
