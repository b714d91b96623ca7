/**
 * How a worker tells the producer why a job failed. BullMQ keeps a failed job's reason as text, so the kind travels
 * as a tag at its start: `[hashstash:threw:TypeError] message`, `[hashstash:crash:out-of-memory:1] ...`,
 * `[hashstash:untrusted] ...`, `[hashstash:load] ...`.
 */

import type { WorkerCrashReason } from '../parallel/errors.js';

export type RemoteFailure =
  | { readonly kind: 'threw'; readonly name: string; readonly message: string }
  | { readonly kind: 'crash'; readonly reason: WorkerCrashReason; readonly exitCode: number; readonly message: string }
  | { readonly kind: 'untrusted'; readonly message: string }
  | { readonly kind: 'load'; readonly message: string }
  /** Anything else bullmq failed the job with (a stall past its limit among them). */
  | { readonly kind: 'other'; readonly message: string };

const TAG = /^\[hashstash:(threw|crash|untrusted|load)(?::([^\]:]*))?(?::(-?\d+))?\] ?/s;
/** BullMQ's reason for a job whose worker died more often than `maxStalledCount` allows. */
const STALLED = /stalled more than allowable limit/;
const CRASH_REASONS: readonly string[] = ['exit', 'uncaught-error', 'out-of-memory'];

export const threwTag = (name: string) => `[hashstash:threw:${name.replace(/[\]:]/g, '_')}] `;
export const crashTag = (reason: WorkerCrashReason, exitCode: number) => `[hashstash:crash:${reason}:${exitCode}] `;
export const UNTRUSTED_TAG = '[hashstash:untrusted] ';
export const LOAD_TAG = '[hashstash:load] ';

/** A failed job's reason read back. */
export function readFailure(reason: string): RemoteFailure {
  if (STALLED.test(reason)) return { kind: 'crash', reason: 'stalled', exitCode: 0, message: reason };
  const tag = TAG.exec(reason);
  if (!tag) return { kind: 'other', message: reason };
  const message = reason.slice(tag[0].length);
  switch (tag[1]) {
    case 'threw':
      return { kind: 'threw', name: tag[2] || 'Error', message };
    case 'crash': {
      const why = tag[2] ?? '';
      return {
        kind: 'crash',
        reason: (CRASH_REASONS.includes(why) ? why : 'exit') as WorkerCrashReason,
        exitCode: Number(tag[3] ?? 0),
        message,
      };
    }
    case 'untrusted':
      return { kind: 'untrusted', message };
    default:
      return { kind: 'load', message };
  }
}
