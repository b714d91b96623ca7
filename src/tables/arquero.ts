import { loadDriver } from '../drivers.js';

/**
 * The part of an arquero `ColumnTable` that our types name. It is ours, not arquero's, so that hashstash's published
 * types compile without arquero installed (it is optional). arquero's `ColumnTable` has these methods; cast to it for
 * the rest: `await table.toArquero() as ColumnTable`.
 */
export interface ArqueroTable {
  /** How many rows. */
  numRows(): number;
  /** How many columns. */
  numCols(): number;
  /** The column names, in order. */
  columnNames(): string[];
  /** The values of the column `name`. */
  array(name: string): ArrayLike<unknown>;
  /** Every row as an object of column name → value. */
  objects(): object[];
  /** The table as CSV text (arquero's own writer). */
  toCSV(): string;
}

/**
 * An arquero table of the same columns, in the same order. arquero is an optional peer dependency, loaded on first
 * use (an ES module without top-level await, which `require` loads); a missing install is a DriverMissingError.
 */
export async function toArqueroTable(
  columns: readonly string[],
  column: (name: string) => readonly unknown[],
): Promise<ArqueroTable> {
  const arquero = loadDriver<typeof import('arquero')>('arquero');
  const data = new Map(columns.map((name) => [name, column(name).slice()]));
  return arquero.table(data, [...columns]);
}
