import { ConfigError } from './errors.js';

/** A time to live: milliseconds, or a number with a unit: `'500ms'`, `'30s'`, `'15m'`, `'1h'`, `'7d'`. */
export type Ttl = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TTL_TEXT = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/** The longest ttl: a blob's expiry is a float64 of ms, but past this Date cannot show it. */
const MAX_TTL_MS = 8.64e15;

/**
 * A ttl in ms, or a ConfigError naming `option` and what was wrong: a ttl must be a positive, finite number of ms or
 * a string with one of the units ms, s, m, h, d (zero, negative, NaN and unknown units are refused: an entry that
 * expires as it is written is a mistake, not a cache).
 */
export function parseTtl(value: unknown, option = 'ttl'): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = TTL_TEXT.exec(value);
    if (!match) {
      throw new ConfigError(
        `${option} '${value}' is not a duration: use ms as a number, or a number with a unit (ms, s, m, h, d), e.g. '30s' or '7d'`,
      );
    }
    ms = Number(match[1]) * UNIT_MS[match[2]];
  } else {
    throw new ConfigError(
      `${option} must be a number of ms or a string like '30s', '15m', '1h', '7d'; got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (!Number.isFinite(ms) || ms <= 0)
    throw new ConfigError(`${option} must be a positive, finite duration; got ${String(value)}`);
  if (ms > MAX_TTL_MS)
    throw new ConfigError(`${option} ${String(value)} is longer than the longest ttl (${MAX_TTL_MS} ms)`);
  return ms;
}
