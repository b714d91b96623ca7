import type { Engine, RawEntry } from '../engines/engine.js';
import { checkOptionsObject, checkType } from '../checks.js';
import { UnsupportedError } from '../errors.js';
import { isExpired } from '../engines/expiry.js';
import { flattenRecord, type FlatRecord } from './flatten.js';

/** The options of `records`, `iterRecords` and `table`; an unknown one throws ConfigError. */
export interface RecordOptions {
  /** In append mode, add `_version` and `_timestamp` to each record. Without append mode there is nothing to add. */
  withMetadata?: boolean | undefined;
}

/** What records are read from: a HashStash (a structural type, so this module does not import the facade). */
export interface RecordSource {
  readonly options: { readonly appendMode: boolean; readonly clock?: (() => number) | undefined };
  readonly engine: Engine;
  rawEntries(): AsyncIterable<RawEntry>;
  decodeKey(rawKey: Uint8Array): unknown;
  decodeValue(rawValue: Uint8Array): unknown;
}

const OPTION_NAMES = ['withMetadata'];

function resolveRecordOptions(options: RecordOptions): Required<RecordOptions> {
  checkOptionsObject('record', options, OPTION_NAMES);
  checkType('record', 'withMetadata', options.withMetadata, 'boolean');
  return { withMetadata: options.withMetadata ?? false };
}

/**
 * The stash's entries as flat records (see flatten.ts), streamed: one decoded entry at a time is held.
 * In append mode every version is a record, oldest first; a key stored outside append mode is one record, without metadata.
 */
export async function* iterRecords(source: RecordSource, options: RecordOptions = {}): AsyncGenerator<FlatRecord> {
  const { withMetadata } = resolveRecordOptions(options);
  if (!source.options.appendMode) {
    for await (const [rawKey, rawValue] of source.rawEntries())
      yield flattenRecord(source.decodeKey(rawKey), source.decodeValue(rawValue));
    return;
  }
  const store = source.engine.append;
  if (!store)
    throw new UnsupportedError(
      `records of an append-mode stash need an engine that keeps versions; '${source.engine.name}' does not`,
    );
  // Versions are not hidden by engines: one written with a ttl is left out here once it has expired.
  const clock = source.options.clock ?? Date.now;
  for await (const [rawKey, rawValue] of source.rawEntries()) {
    const key = source.decodeKey(rawKey);
    let versions = 0;
    for await (const version of store.versions(rawKey)) {
      versions++;
      if (isExpired(version.value, clock)) continue;
      yield flattenRecord(key, source.decodeValue(version.value), withMetadata ? version : undefined);
    }
    if (versions === 0) yield flattenRecord(key, source.decodeValue(rawValue));
  }
}

/** Every record in one array. */
export async function collectRecords(source: RecordSource, options: RecordOptions = {}): Promise<FlatRecord[]> {
  const records: FlatRecord[] = [];
  for await (const record of iterRecords(source, options)) records.push(record);
  return records;
}
