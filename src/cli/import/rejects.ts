import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { ScimError } from '../../errors/scim-error.js';
import { fileError } from '../run.js';
import type { Kind } from './records.js';

/** A record the import refused: where it is in the file, what it names, and why. */
export interface Rejection {
  line: number;
  type: Kind | undefined;
  /** Its userName or displayName (else its externalId), when the record got that far. */
  key: string | undefined;
  error: ScimError;
}

export interface RejectsFile {
  write(rejections: readonly Rejection[]): Promise<void>;
  close(): Promise<void>;
}

const COLUMNS = ['line', 'type', 'key', 'status', 'scimType', 'reason'] as const;

function fields(rejection: Rejection): Record<(typeof COLUMNS)[number], string | number | null> {
  const { scimType } = rejection.error.toBody();
  return { line: rejection.line, type: rejection.type ?? null, key: rejection.key ?? null, status: rejection.error.status, scimType: scimType ?? null, reason: rejection.error.message };
}

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula (=, +, -, @) is prefixed with ' (OWASP CSV injection). */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const FORMATS = {
  csv: { header: `${COLUMNS.join(',')}\n`, row: (rejection: Rejection) => `${COLUMNS.map((column) => csvCell(fields(rejection)[column])).join(',')}\n` },
  ndjson: { header: '', row: (rejection: Rejection) => `${JSON.stringify(fields(rejection))}\n` },
};

/**
 * The rejected records, one per line: CSV when the file name ends in .csv, NDJSON otherwise. Created
 * 0600: it names people. Opened before the import starts, so an unwritable path stops nothing midway.
 */
export async function openRejectsFile(file: string): Promise<RejectsFile> {
  const format = file.toLowerCase().endsWith('.csv') ? FORMATS.csv : FORMATS.ndjson;
  const stream = createWriteStream(file, { flags: 'w', mode: 0o600 });
  // Every later wait also ends on a write error, which then names the file.
  const failed = new Promise<never>((_, reject) => stream.once('error', (error) => reject(fileError('write', file, error))));
  failed.catch(() => undefined);
  await Promise.race([new Promise((resolve) => stream.once('open', resolve)), failed]);
  const put = async (text: string) => {
    if (text !== '' && !stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
  };
  await put(format.header);
  return {
    write: (rejections) => put(rejections.map(format.row).join('')),
    async close() {
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
    },
  };
}
