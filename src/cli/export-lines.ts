import { DecodeError } from '../errors.js';
import { hashstashFromParsed, hashstashSerializer } from '../serializers/hashstash.js';

/**
 * The export format, JSON lines. The first line says what the file is:
 *
 *   {"hashstash":"export","version":1,"encoding":"hs1","stash":"LmdbHashStash(~/.cache/…)"}
 *
 * then one entry a line, `{"k":K,"v":V}`, with `"x":<ms since the epoch>` when the entry expires. K and V are the
 * hashstash serializer's text (the "hs1" encoding): plain JSON for plain data; anything else is
 * `{"~":"hs1","v":TREE}`, where TREE is JSON whose objects with a `"~"` key are tags (`{"~":"Date","v":ms}`,
 * `{"~":"Map","v":[[k,v],…]}`, `{"~":"bigint","v":"12"}`, … see src/serializers/tagged-tree/tags.ts), and a user
 * object that has a `"~"` key of its own is written `{"~":"object","v":{…}}`. Whatever a stash's serializer, its
 * entries are exported in this one form, and import gives back equal keys and values.
 */
export const EXPORT_HEADER = { hashstash: 'export', version: 1, encoding: 'hs1' } as const;

/** The first line of an export of `stash` (its description: engine and path, a server's URL redacted). */
export function headerLine(stash: string): string {
  return `${JSON.stringify({ ...EXPORT_HEADER, stash })}\n`;
}

/** The hs1 text of a key or value. */
export function hs1Text(value: unknown): string {
  return hashstashSerializer.serializeToText!(value);
}

export interface ImportedEntry {
  readonly key: unknown;
  readonly value: unknown;
  /** When it expires, ms since the epoch; null when it never does. */
  readonly expiresAt: number | null;
}

function parsed(line: string, where: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new DecodeError(`${where}: not a JSON line (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new DecodeError(`${where}: not an export line (a JSON object)`);
  return json as Record<string, unknown>;
}

/** Checks the first line of an export; DecodeError saying what it is instead. */
export function checkHeader(line: string, where: string): void {
  const header = parsed(line, where);
  if (header['hashstash'] !== EXPORT_HEADER.hashstash)
    throw new DecodeError(`${where}: not a hashstash export (its first line should be ${headerLine('…').trim()})`);
  if (header['version'] !== EXPORT_HEADER.version || header['encoding'] !== EXPORT_HEADER.encoding)
    throw new DecodeError(
      `${where}: export version ${JSON.stringify(header['version'])}, encoding ${JSON.stringify(header['encoding'])}: ` +
        `this hashstash reads version ${EXPORT_HEADER.version}, encoding ${EXPORT_HEADER.encoding}`,
    );
}

/** The entry an export line holds; DecodeError naming the line when it is not one. */
export function parseEntry(line: string, where: string): ImportedEntry {
  const entry = parsed(line, where);
  if (!Object.hasOwn(entry, 'k') || !Object.hasOwn(entry, 'v'))
    throw new DecodeError(`${where}: an entry line is {"k": key, "v": value} (and "x": expiry in ms, if any)`);
  const expiresAt = entry['x'] ?? null;
  if (expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)))
    throw new DecodeError(`${where}: "x" must be ms since the epoch, got ${JSON.stringify(expiresAt)}`);
  return { key: revive(entry['k'], where, 'key'), value: revive(entry['v'], where, 'value'), expiresAt };
}

function revive(json: unknown, where: string, what: string): unknown {
  try {
    return hashstashFromParsed(json, undefined);
  } catch (error) {
    throw new DecodeError(`${where}: its ${what}: ${(error as Error).message}`, { cause: error });
  }
}
