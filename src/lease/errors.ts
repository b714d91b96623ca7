import { HashStashError } from '../errors.js';

/**
 * Why a lease's `signal` aborted: the lease was lost while held. A renewal found it expired and taken by another
 * holder, or gone (released by nobody but an expiry sweep, or the stash cleared), so mutual exclusion no longer holds
 * for this holder; work under the lease should stop.
 */
export class LeaseLostError extends HashStashError {
  /** `HASHSTASH_LEASE_LOST`. */
  override readonly code = 'HASHSTASH_LEASE_LOST';
}
