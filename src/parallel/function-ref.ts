import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isFunction, type AnyFunction } from '../any-function.js';
import { ConfigError } from '../errors.js';
import { shippableSource } from './closure-check.js';

/** A function in a module, for anything that needs imports: `{ module: new URL('./f.js', import.meta.url), export: 'f' }`. */
export interface ModuleFunction {
  /** The module: a URL, a `file:` URL string or an absolute path. */
  readonly module: URL | string;
  /** The name of the function's export (`'default'` for a default export). */
  readonly export: string;
}

/** What `stash.map` maps: a self-contained function (shipped by its source) or a function in a module. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- public contract: an unparameterized MapFunction maps any item and takes any extra args
export type MapFunction<T = any, R = unknown> = ((item: T, ...rest: any[]) => R | Promise<R>) | ModuleFunction;

/** How a worker rebuilds the function: plain data, so it crosses the thread boundary as it is. */
export type FunctionSpec =
  | { readonly kind: 'source'; readonly expression: string; readonly name: string }
  | { readonly kind: 'module'; readonly url: string; readonly name: string };

const MODULE_FIELDS = new Set(['module', 'export']);

function moduleUrl(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module === 'string') {
    if (module.startsWith('file:') || module.startsWith('data:')) return new URL(module).href;
    if (isAbsolute(module)) return pathToFileURL(module).href;
  }
  throw new ConfigError(
    `stash.map: 'module' must be a URL, a file: URL string or an absolute path ` +
      `(e.g. new URL('./work.js', import.meta.url)), got ${typeof module === 'string' ? `'${module}'` : typeof module}`,
  );
}

/**
 * Checks `fn` before anything is sent: a function must be self-contained (ClosureError names what it reaches for),
 * a module reference must name a module and an export.
 */
export function functionSpec(fn: unknown): FunctionSpec {
  if (isFunction(fn)) return { kind: 'source', ...shippableSource(fn) };
  if (typeof fn !== 'object' || fn === null) {
    throw new ConfigError(`stash.map takes a function or { module, export }, got ${fn === null ? 'null' : typeof fn}`);
  }
  for (const key of Object.keys(fn)) {
    if (!MODULE_FIELDS.has(key)) throw new ConfigError(`stash.map: unknown field '${key}' in { module, export }`);
  }
  const { module, export: name } = fn as ModuleFunction;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError(`stash.map: 'export' must name the function's export, e.g. { module, export: 'default' }`);
  }
  return { kind: 'module', url: moduleUrl(module), name };
}

/** The function a spec names: evaluated from its source, or imported. Runs in workers, and in the parent for modules. */
export async function loadFunction(spec: FunctionSpec): Promise<AnyFunction> {
  // Indirect eval: the global scope only, which is all a self-contained function needs. The sourceURL names it in stacks.
  if (spec.kind === 'source')
    return (0, eval)(`${spec.expression}\n//# sourceURL=stash.map:${encodeURIComponent(spec.name)}`) as AnyFunction;
  const imported = (await import(spec.url)) as Record<string, unknown>;
  const fn = imported[spec.name];
  if (!isFunction(fn)) {
    throw new ConfigError(`stash.map: ${spec.url} has no function export '${spec.name}' (found ${typeof fn})`);
  }
  return fn;
}
