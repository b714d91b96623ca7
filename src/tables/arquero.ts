import { UnsupportedError } from '../errors.js';

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
 * An arquero table of the same columns, in the same order. arquero is an optional peer dependency: it is imported
 * on first use, and a missing install is an UnsupportedError that says what to install.
 */
export async function toArqueroTable(columns: readonly string[], column: (name: string) => readonly unknown[]): Promise<ArqueroTable> {
  let arquero: typeof import('arquero');
  try {
    arquero = await import('arquero');
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UnsupportedError('table.toArquero() needs the arquero package: install it with `npm install arquero`', { cause: error });
    }
    throw error;
  }
  const data = new Map(columns.map((name) => [name, column(name).slice()]));
  return arquero.table(data, [...columns]);
}
