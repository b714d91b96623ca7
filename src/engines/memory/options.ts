import { ConfigError } from '../../errors.js';
import { EVICTION_POLICIES, type EvictionPolicy } from './eviction.js';
import { parseByteSize } from './size.js';

/**
 * The options the memory engine declares, `maxBytes` and `evict`: their defaults and how a value is checked and
 * resolved. The core options file reads them through the engine registry (src/engines/index.ts) and knows nothing of
 * them; they are validated whatever the engine, so a stash's options are checked the same way everywhere.
 */
export const memoryEngineOptions = {
  maxBytes: {
    default: '25%',
    /** Bytes, from a number of bytes or a size like '512mb' or '25%' of the machine's memory. */
    resolve: (value: unknown): number => parseByteSize(value, 'maxBytes'),
  },
  evict: {
    default: 'lru',
    resolve: (value: unknown): EvictionPolicy => {
      if (typeof value !== 'string' || !(EVICTION_POLICIES as readonly string[]).includes(value)) {
        throw new ConfigError(
          `unknown evict ${describe(value)}; expected one of ${EVICTION_POLICIES.map((p) => `'${p}'`).join(', ')}`,
        );
      }
      return value as EvictionPolicy;
    },
  },
} as const;

function describe(value: unknown): string {
  if (typeof value === 'string')
    // eslint-disable-next-line no-control-regex -- control characters are what this shows escaped
    return `'${value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.prototype.toString.call(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only primitives and functions are left, not objects
  return `${typeof value} ${String(value)}`;
}
