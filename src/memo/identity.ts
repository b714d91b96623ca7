import { hash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { AnyFunction } from '../any-function.js';
import type { MemoOptions } from './options.js';

/** Set on every memoized wrapper: the function it wraps, whose source names the sub-stash. */
export const WRAPPED: unique symbol = Symbol('hashstash.wrapped');

const SOURCE_HASH_CHARS = 12;
const NAME_CHARS = 60;

/** The function a memoized wrapper stands for (wrappers share one source text, so it cannot name them). */
export function unwrap(fn: AnyFunction): AnyFunction {
  let inner = fn as AnyFunction & { [WRAPPED]?: AnyFunction };
  while (inner[WRAPPED]) inner = inner[WRAPPED];
  return inner;
}

/** The function's name as one folder name: characters outside `\w $ . -` become '_'. */
function safeName(name: string): string {
  const cleaned = name.replace(/[^\w$.-]/g, '_').slice(0, NAME_CHARS);
  return cleaned === '' || /^\.+$/.test(cleaned) ? 'anonymous' : cleaned;
}

/**
 * The folder the sub-stash of `fn` lives in below `stashed_result/`: `<name>.<first 12 hex of sha256(source)>`, so
 * editing the body starts a fresh sub-stash; or `options.name` as given. A `version` is appended as `.v<version>`.
 * A bound function shows no source (`[native code]`), so it needs `name`.
 */
export function functionIdentity(fn: AnyFunction, options: MemoOptions = {}): string {
  const version = options.version === undefined ? '' : `.v${options.version}`;
  if (options.name !== undefined) return `${options.name}${version}`;
  const target = unwrap(fn);
  const source = Function.prototype.toString.call(target);
  if (target.name.startsWith('bound ') && source.includes('[native code]')) {
    throw new ConfigError(
      `cannot memoize the bound function '${target.name}' by its source, which it does not show; pass { name } to identify it`,
    );
  }
  return `${safeName(target.name)}.${hash('sha256', source, 'hex').slice(0, SOURCE_HASH_CHARS)}${version}`;
}
