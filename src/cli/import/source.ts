import type { ScimError } from '../../errors/scim-error.js';
import { NDJSON } from './ndjson.js';

/** One record of the input: the SCIM body it stands for, or why it cannot be read. */
export type SourceItem = { line: number; body: unknown } | { line: number; error: ScimError };

/**
 * An input format: turns a file into SCIM resource bodies (User or Group), numbered by the line
 * (or row) they came from. A format that maps other fields (e.g. CSV with a mapping file) produces
 * the same bodies, so matching, validation and writing stay the same whatever the format.
 */
export interface ImportFormat {
  /** One line for --help. */
  description: string;
  /** How many records the file holds (for progress): one read of the file. */
  count(file: string): Promise<number>;
  read(file: string): AsyncIterable<SourceItem>;
}

export const FORMATS: Readonly<Record<string, ImportFormat>> = Object.freeze({ ndjson: NDJSON });
