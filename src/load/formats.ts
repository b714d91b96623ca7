import { basename } from 'node:path';
import { ConfigError } from '../errors.js';

/** A line format `stash.load` reads: one JSON value a line, tab- or comma-separated fields, or `[key, value]` a line. */
export type LoadFormat = 'ndjson' | 'tsv' | 'csv' | 'jsonl-pairs';
/** Every {@link LoadFormat}. */
export const LOAD_FORMATS: readonly LoadFormat[] = ['ndjson', 'tsv', 'csv', 'jsonl-pairs'];

/** How an input file is compressed, by its last extension. */
export type Compression = 'gzip' | 'brotli' | 'none';

const COMPRESSIONS: Readonly<Record<string, Compression>> = { gz: 'gzip', gzip: 'gzip', br: 'brotli' };
const FORMATS: Readonly<Record<string, LoadFormat>> = {
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'ndjson',
  tsv: 'tsv',
  tab: 'tsv',
  csv: 'csv',
};

/** The extensions of `path`, last first, lower case: `a.TSV.gz` → `['gz', 'tsv']`. */
const extensions = (path: string) => basename(path).toLowerCase().split('.').slice(1).reverse();

/** The compression of `path`; ConfigError for zstd, which Node 20's zlib cannot read. */
export function compressionOf(path: string): Compression {
  const last = extensions(path)[0];
  if (last === 'zst' || last === 'zstd') {
    throw new ConfigError(
      `stash.load cannot read '${path}': Node 20 has no zstd decoder; decompress it first (zstd -d) or recompress it as .gz or .br`,
    );
  }
  return COMPRESSIONS[last ?? ''] ?? 'none';
}

/** The format `path`'s extension names, compression suffix aside; ConfigError when it names none. */
export function formatOfFile(path: string): LoadFormat {
  const names = extensions(path);
  const format = FORMATS[(compressionOf(path) === 'none' ? names[0] : names[1]) ?? ''];
  if (!format) {
    throw new ConfigError(
      `stash.load cannot tell the format of '${path}' from its extension; give the 'format' option (${LOAD_FORMATS.join(', ')})`,
    );
  }
  return format;
}

const QUOTE = 34;
const COMMA = 44;

/**
 * The fields of one CSV line (RFC 4180): a quoted field may hold commas and doubled quotes; it may not hold a line
 * break, since lines are cut before they are parsed. Throws an Error saying what is wrong.
 */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line.charCodeAt(at) === QUOTE) {
      let text = '';
      let from = at + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        if (quote < 0) throw new Error(`unterminated quoted field at column ${at + 1}`);
        text += line.slice(from, quote);
        if (line.charCodeAt(quote + 1) === QUOTE) {
          text += '"';
          from = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(text);
      if (at === line.length) return fields;
      if (line.charCodeAt(at) !== COMMA) throw new Error(`text after a closing quote at column ${at + 1}`);
      at++;
      continue;
    }
    const comma = line.indexOf(',', at);
    const field = line.slice(at, comma < 0 ? line.length : comma);
    if (field.includes('"')) throw new Error(`a quote inside an unquoted field at column ${at + 1}`);
    fields.push(field);
    if (comma < 0) return fields;
    at = comma + 1;
  }
}

/** The fields of a line of `format` (tsv or csv): TSV has no quoting, a field ends at a tab. */
export function fieldsOf(format: 'tsv' | 'csv', line: string): string[] {
  return format === 'tsv' ? line.split('\t') : csvFields(line);
}

/** A line parsed into its record: a JSON value, an array of fields, or an object by `columns`. Throws on a bad line. */
export function parseRecord(format: LoadFormat, line: string, columns: readonly string[] | undefined): unknown {
  if (format === 'ndjson') return JSON.parse(line);
  if (format === 'jsonl-pairs') {
    const pair: unknown = JSON.parse(line);
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error('expected a [key, value] pair');
    return pair;
  }
  const fields = fieldsOf(format, line);
  if (!columns) return fields;
  if (fields.length !== columns.length)
    throw new Error(`${fields.length} fields where the header has ${columns.length} columns`);
  const record: Record<string, string> = {};
  for (let i = 0; i < fields.length; i++) record[columns[i]] = fields[i];
  return record;
}
