import type { ColumnTable } from 'arquero';
import { UnsupportedError } from '../errors.js';

/**
 * An arquero table of the same columns, in the same order. arquero is an optional peer dependency: it is imported
 * on first use, and a missing install is an UnsupportedError that says what to install.
 */
export async function toArqueroTable(columns: readonly string[], column: (name: string) => readonly unknown[]): Promise<ColumnTable> {
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
