import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ScimError } from '../../errors/scim-error.js';
import type { ImportFormat, SourceItem } from './source.js';

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file), crlfDelay: Infinity });
}

/** One SCIM resource (JSON) per line; blank lines are skipped but counted, so numbers match an editor's. */
export const NDJSON: ImportFormat = {
  description: 'one SCIM User or Group resource (JSON) per line; blank lines are skipped',

  async count(file) {
    let records = 0;
    for await (const text of lines(file)) if (text.trim() !== '') records += 1;
    return records;
  },

  async *read(file): AsyncIterable<SourceItem> {
    let line = 0;
    for await (const text of lines(file)) {
      line += 1;
      if (text.trim() === '') continue;
      try {
        yield { line, body: JSON.parse(text) as unknown };
      } catch {
        yield { line, error: new ScimError('invalidSyntax', 'the line is not valid JSON') };
      }
    }
  },
};
