import { stringify, type Options } from 'csv-stringify/sync';

/**
 * CSV for people who open it in a spreadsheet (RFC 4180, csv-stringify): every cell quoted, quotes
 * doubled, lines ended by CRLF, and a cell that a spreadsheet would run as a formula (a leading =,
 * +, -, @, tab or carriage return) defused with a leading apostrophe.
 */
const OPTIONS: Options = { quoted: true, quoted_empty: true, escape_formulas: true, record_delimiter: 'windows', cast: { boolean: String } };

/** One CSV line: arrays become their values separated by spaces; null and undefined become empty cells. */
export function csvLine(cells: readonly unknown[]): string {
  return stringify([cells.map((cell) => (Array.isArray(cell) ? cell.join(' ') : (cell ?? '')))], OPTIONS);
}
