import { totalmem } from 'node:os';
import { ConfigError } from '../../errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
  tb: 1024 ** 4,
  t: 1024 ** 4,
};

/** A byte budget as a user may write it: a number of bytes, `'512mb'`, `'1.5 GB'`, `'64k'`, or `'25%'` of the machine's memory. */
export type ByteSize = number | string;

/** Bytes from a `ByteSize`; ConfigError naming `option` when it is not one. */
export function parseByteSize(value: unknown, option = 'maxBytes'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return Math.floor(value);
    throw new ConfigError(`option '${option}' must be a positive number of bytes or a size like '512mb', got ${value}`);
  }
  if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z%]*)\s*$/i.exec(value);
    const unit = match?.[2]?.toLowerCase() ?? '';
    if (match && unit === '%') {
      const share = Number(match[1]);
      if (share > 0 && share <= 100) return Math.floor((totalmem() * share) / 100);
    } else if (match && unit in UNITS) {
      const bytes = Math.floor(Number(match[1]) * UNITS[unit]);
      if (bytes > 0) return bytes;
    }
    throw new ConfigError(`option '${option}' must be a size like 512mb, 1.5gb, 64kb or 25%, got '${value}'`);
  }
  throw new ConfigError(
    `option '${option}' must be a number of bytes or a size string like '512mb', got ${value === null ? 'null' : typeof value}`,
  );
}
