import { types } from 'node:util';

export const REVOKED_PROXY = 'a revoked Proxy cannot be serialized: every operation on it throws';

/**
 * Whether `value` is a Proxy whose revoke() has been called. Array.isArray is the test: on a proxy it runs no trap and
 * throws only once the proxy is revoked (ECMA-262 IsArray), so asking never calls user code.
 */
export function isRevokedProxy(value: unknown): boolean {
  if (!types.isProxy(value)) return false;
  try {
    Array.isArray(value);
    return false;
  } catch {
    return true;
  }
}
