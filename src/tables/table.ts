import { inspect } from 'node:util';
import { HashStashError, KeyNotFoundError } from '../errors.js';
import { toArqueroTable, type ArqueroTable } from './arquero.js';
import { CSV_NEWLINE, csvHeader, csvLine } from './csv.js';
import type { FlatRecord } from './flatten.js';
import { formatTable, type PrintOptions } from './print.js';

/** Something `writeCSV` can write to: a Node Writable (a file, a socket, process.stdout). */
export interface WritableTarget {
  /** Takes a chunk of text; false when the caller should wait for `'drain'` before writing more. */
  write(chunk: string): boolean;
  /** Calls `listener` once at the next `'drain'`, `'error'` or `'close'`. */
  once(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener that `once` added. */
  removeListener(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  /** Node streams say when they take no more writes; a target without these is taken as writable. */
  readonly destroyed?: boolean;
  /** True once `end()` was called; see `destroyed`. */
  readonly writableEnded?: boolean;
}

/** CSV is written in chunks of about this many characters, waiting for 'drain' when the stream asks. */
const CSV_CHUNK = 64 * 1024;

/** Collects records into columns: the union of their fields, in the order first seen; cells a record lacks are undefined. */
class TableBuilder {
  readonly names: string[] = [];
  readonly data = new Map<string, unknown[]>();
  numRows = 0;

  add(record: FlatRecord): void {
    const row = this.numRows++;
    for (const name of Object.keys(record)) {
      let cells = this.data.get(name);
      if (!cells) {
        this.data.set(name, (cells = []));
        this.names.push(name);
      }
      while (cells.length < row) cells.push(undefined);
      cells.push(record[name]);
    }
  }

  build(): Table {
    for (const cells of this.data.values()) while (cells.length < this.numRows) cells.push(undefined);
    return new Table(this.names, this.data, this.numRows);
  }
}

/**
 * Records as columns (`stash.table()`): column access by name, rows by number, a readable printout
 * (`console.log(table)`), CSV, and conversion to an arquero table.
 */
export class Table implements Iterable<FlatRecord> {
  readonly #names: readonly string[];
  readonly #data: ReadonlyMap<string, readonly unknown[]>;
  readonly #numRows: number;

  /** Use `Table.fromRecords`, `Table.fromAsync` or `stash.table()`. */
  constructor(names: readonly string[], data: ReadonlyMap<string, readonly unknown[]>, numRows: number) {
    this.#names = Object.freeze([...names]);
    this.#data = data;
    this.#numRows = numRows;
  }

  /** A table of `records`: columns are the union of their fields, in the order first seen. */
  static fromRecords(records: Iterable<FlatRecord>): Table {
    const builder = new TableBuilder();
    for (const record of records) builder.add(record);
    return builder.build();
  }

  /** {@link fromRecords} of records that may arrive asynchronously, as `stash.iterRecords()` gives them. */
  static async fromAsync(records: AsyncIterable<FlatRecord> | Iterable<FlatRecord>): Promise<Table> {
    const builder = new TableBuilder();
    for await (const record of records) builder.add(record);
    return builder.build();
  }

  /** Column names, in the order they first appeared in the records. */
  get columns(): readonly string[] {
    return this.#names;
  }
  /** How many rows: one per record. */
  get numRows(): number {
    return this.#numRows;
  }
  /** How many columns. */
  get numColumns(): number {
    return this.#names.length;
  }

  /** True when the table has a column `name`. */
  hasColumn(name: string): boolean {
    return this.#data.has(name);
  }

  /**
   * The cells of one column, one per row (undefined where a record lacked the field).
   *
   * @throws {@link KeyNotFoundError} when there is no such column.
   */
  column(name: string): readonly unknown[] {
    const cells = this.#data.get(name);
    if (!cells) {
      const known = this.#names.length > 8 ? `${this.#names.slice(0, 8).join(', ')}, …` : this.#names.join(', ');
      throw new KeyNotFoundError(`no column '${name}' in this table; its columns are ${known || '(none)'}`);
    }
    return cells;
  }

  /**
   * Row `index` (from 0; negative counts from the end) as a flat record, without the fields it lacks.
   *
   * @throws {@link KeyNotFoundError} for an index that is not an integer or is out of range.
   */
  row(index: number): FlatRecord {
    const at = index < 0 ? this.#numRows + index : index;
    if (!Number.isInteger(index) || at < 0 || at >= this.#numRows) {
      throw new KeyNotFoundError(`row ${index} is out of range: the table has ${this.#numRows} rows`);
    }
    const record: FlatRecord = {};
    for (const name of this.#names) {
      const cell = this.#data.get(name)![at];
      if (cell !== undefined)
        Object.defineProperty(record, name, { value: cell, enumerable: true, writable: true, configurable: true });
    }
    return record;
  }

  /** Every row, as `row(i)` gives them. */
  get rows(): FlatRecord[] {
    return Array.from({ length: this.#numRows }, (_, i) => this.row(i));
  }

  /** `for (const row of table)`: every row, as `row(i)` gives them. */
  *[Symbol.iterator](): Iterator<FlatRecord> {
    for (let i = 0; i < this.#numRows; i++) yield this.row(i);
  }

  /** The printout: header, first and last rows, and the shape (see PrintOptions). */
  toString(options: PrintOptions = {}): string {
    return formatTable(this.#names, (name) => this.#data.get(name)!, this.#numRows, options);
  }

  /** What `console.log(table)` and `util.inspect` show: {@link toString}. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** The rows, for `JSON.stringify`. */
  toJSON(): FlatRecord[] {
    return this.rows;
  }

  /** The whole table as CSV text (RFC 4180: header row, CRLF line ends, quoting where needed). */
  toCSV(): string {
    let text = '';
    for (const chunk of this.#csvChunks()) text += chunk;
    return text;
  }

  /**
   * Writes the CSV to a stream in chunks, waiting whenever the stream says its buffer is full; resolves once all is
   * handed to the stream. The stream is left open (call `end()` on a file stream when done).
   *
   * @throws {@link HashStashError} when the stream was destroyed or ended, or closes before the CSV is written; the
   *   stream's own `'error'`.
   */
  async writeCSV(stream: WritableTarget): Promise<void> {
    for (const chunk of this.#csvChunks()) {
      // A destroyed stream emits nothing more (no 'drain', 'error' or 'close'): waiting on it would never end.
      checkWritable(stream);
      if (!stream.write(chunk)) await drained(stream);
    }
  }

  /**
   * An arquero table of the same columns (arquero is loaded on first use: `npm i arquero@7`). Typed by the few
   * methods hashstash names; `as ColumnTable` (from arquero) gives the rest.
   */
  toArquero(): Promise<ArqueroTable> {
    return toArqueroTable(this.#names, (name) => this.#data.get(name)!);
  }

  *#csvChunks(): Generator<string> {
    const columns = this.#names.map((name) => this.#data.get(name)!);
    let chunk = csvHeader(this.#names) + CSV_NEWLINE;
    const cells: unknown[] = new Array(columns.length);
    for (let row = 0; row < this.#numRows; row++) {
      for (let c = 0; c < columns.length; c++) cells[c] = columns[c][row];
      chunk += csvLine(cells) + CSV_NEWLINE;
      if (chunk.length >= CSV_CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}

function checkWritable(stream: WritableTarget): void {
  if (stream.destroyed) throw new HashStashError('writeCSV cannot write the CSV: the stream was destroyed');
  if (stream.writableEnded)
    throw new HashStashError('writeCSV cannot write the CSV: the stream was ended (end() was called)');
}

function drained(stream: WritableTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      stream.removeListener('drain', onDrain);
      stream.removeListener('error', onError);
      stream.removeListener('close', onClose);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the stream emitted with 'error', passed on as it is
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (error: unknown) => done(error);
    const onClose = () => done(new HashStashError('the stream closed before the CSV was written'));
    stream.once('drain', onDrain);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
