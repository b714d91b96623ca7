/**
 * One stash entry as one flat object, the row of a table.
 *
 * - A plain object (prototype `Object.prototype` or null) is flattened: its fields become columns, nested plain objects
 *   joined with dots (`{ etc: { goes_to: { heaven: true } } }` → `etc.goes_to.heaven`).
 * - Everything else is a value and stays whole in its cell: arrays, Dates, Maps, Sets, typed arrays, class instances,
 *   functions, null. So does an empty plain object (`{}`), so the field is not lost, and a plain object met again inside
 *   itself (a cycle).
 * - The key goes under `_key`; a plain-object key is also flattened into `_key.<field>` columns.
 * - A value that is not a plain object goes under `_value`.
 * - In append mode with metadata, `_version` and `_timestamp` (milliseconds since the epoch) follow the key.
 * - Field names are escaped so that different records never map to the same column: a backslash makes the next
 *   character literal, so a field named `a.b` is the column `a\.b` (not the `b` inside `a`), `a\b` is `a\\b`, and a
 *   value's own top-level field named like a metadata column (`_key`, `_value`, `_version`, `_timestamp`) is `\_key` etc.
 */

/** One row: column name → cell. */
export type FlatRecord = Record<string, unknown>;

export const KEY_COLUMN = '_key';
export const VALUE_COLUMN = '_value';
export const VERSION_COLUMN = '_version';
export const TIMESTAMP_COLUMN = '_timestamp';

const RESERVED = new Set([KEY_COLUMN, VALUE_COLUMN, VERSION_COLUMN, TIMESTAMP_COLUMN]);
const NEEDS_ESCAPE = /[.\\]/;
const ESCAPED = /[.\\]/g;

/** Version metadata of one entry in append mode. */
export interface VersionMetadata {
  readonly version: number;
  readonly timestamp: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

/** A field name as it appears inside a column name: dots and backslashes escaped. */
export function escapeField(name: string): string {
  return NEEDS_ESCAPE.test(name) ? name.replace(ESCAPED, '\\$&') : name;
}

function hasFields(object: Record<string, unknown>): boolean {
  for (const _ in object) if (Object.hasOwn(object, _)) return true;
  return false;
}

// `record[name] = …` with name '__proto__' would set the prototype instead of adding a column.
function put(record: FlatRecord, name: string, value: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}

function flattenFields(
  record: FlatRecord,
  prefix: string,
  object: Record<string, unknown>,
  ancestors: object[],
  top: boolean,
): void {
  ancestors.push(object);
  for (const field of Object.keys(object)) {
    let name = escapeField(field);
    if (top && RESERVED.has(name)) name = `\\${name}`;
    name = prefix + name;
    const child = object[field];
    if (isPlainObject(child) && hasFields(child) && !ancestors.includes(child))
      flattenFields(record, `${name}.`, child, ancestors, false);
    else put(record, name, child);
  }
  ancestors.pop();
}

/** The flat record of one entry (one version, in append mode). */
export function flattenRecord(key: unknown, value: unknown, metadata?: VersionMetadata): FlatRecord {
  const record: FlatRecord = {};
  // The key itself, and a plain-object key's fields in `_key.<field>` columns as well, to filter and sort on.
  record[KEY_COLUMN] = key;
  if (isPlainObject(key) && hasFields(key)) flattenFields(record, `${KEY_COLUMN}.`, key, [], false);
  if (metadata) {
    record[VERSION_COLUMN] = metadata.version;
    record[TIMESTAMP_COLUMN] = metadata.timestamp;
  }
  if (isPlainObject(value) && hasFields(value)) flattenFields(record, '', value, [], true);
  else record[VALUE_COLUMN] = value;
  return record;
}
