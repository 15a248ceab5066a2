/**
 * CSV for people who open it in a spreadsheet (RFC 4180): every cell quoted, quotes doubled, lines
 * ended by CRLF, and a cell that a spreadsheet would run as a formula (a leading =, +, -, @, tab or
 * carriage return) defused with a leading apostrophe.
 */
function csvCell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(' ') : String(value ?? '');
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** One CSV line: arrays become their values separated by spaces; null and undefined become empty cells. */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
