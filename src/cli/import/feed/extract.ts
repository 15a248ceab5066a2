// An HR extract (CSV, RFC 4180 as csv-parse reads it) turned into the people it lists, each as the
// SCIM User body its mapped columns describe. The extract is checked as a whole before anything is
// written: a person rejected here would otherwise look like a leaver.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ScimError } from '../../../errors/scim-error.js';
import { parseResourceBody, type ResourceAttributes } from '../../../scim/ingress.js';
import { USER_RESOURCE, USER_SCHEMA } from '../../../scim/schema-registry.js';
import { CliError, fileError } from '../../run.js';
import { cellValue, type Mapping, type Target } from './mapping.js';

export interface Person {
  /** The line the row ends on, as an editor numbers it. */
  line: number;
  /** The key as the extract spells it. */
  key: string;
  /** The SCIM User body of the mapped columns (references left out), validated as POST would. */
  attributes: ResourceAttributes;
  /** Per referencing path (the manager), the key of the person it names. */
  references: Map<string, string>;
}

/** How keys compare: userName case-insensitively, externalId exactly. */
export const keyOf = (mapping: Mapping, key: string) => (mapping.key.attribute === 'userName' ? key.toLowerCase() : key);

const LISTED_PROBLEMS = 20;

/** Problems of the extract, collected so that one run names them all (up to a limit). */
export class ExtractProblems {
  private readonly lines: string[] = [];
  private count = 0;

  constructor(private readonly file: string) {}

  add(line: number | undefined, text: string): void {
    this.count += 1;
    if (this.lines.length < LISTED_PROBLEMS) this.lines.push(`${line === undefined ? '' : `line ${line}: `}${text}`);
  }

  /** Throws the collected problems as one error (one line each); nothing was written. */
  check(): void {
    if (this.count === 0) return;
    const more = this.count > this.lines.length ? [`… and ${this.count - this.lines.length} more`] : [];
    throw new CliError([`${this.file} cannot be applied; nothing was changed:`, ...this.lines, ...more].join('\n'));
  }
}

/** Puts a value where a target says, in a User body being built. */
export function setValue(body: Record<string, unknown>, target: Target, value: unknown): void {
  const container = target.extension === undefined ? body : ((body[target.extension] ??= {}) as Record<string, unknown>);
  if (target.type !== undefined) {
    const values = (container[target.attribute] ??= []) as Record<string, unknown>[];
    let element = values.find((candidate) => candidate['type'] === target.type);
    if (!element) values.push((element = { type: target.type }));
    element[target.subAttribute as string] = value;
  } else if (target.subAttribute !== undefined) {
    ((container[target.attribute] ??= {}) as Record<string, unknown>)[target.subAttribute] = value;
  } else {
    container[target.attribute] = value;
  }
}

interface Row {
  line: number;
  cells: string[];
}

async function* rows(file: string): AsyncIterable<Row> {
  const parser = createReadStream(file).pipe(parse({ bom: true, info: true, trim: true, skip_empty_lines: true }));
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: info.lines, cells: record };
}

/** The people of an extract; throws a CliError listing every problem when any row cannot be used. */
export async function readExtract(file: string, mapping: Mapping): Promise<Person[]> {
  const problems = new ExtractProblems(file);
  const people: Person[] = [];
  const lineOfKey = new Map<string, number>();
  let indexes: number[] | undefined;
  try {
    for await (const { line, cells } of rows(file)) {
      if (!indexes) {
        indexes = header(file, mapping, cells);
        continue;
      }
      const person = personOf(mapping, problems, line, mapping.columns.map((_, position) => cells[indexes?.[position] as number] ?? ''));
      if (!person) continue;
      const normalised = keyOf(mapping, person.key);
      const first = lineOfKey.get(normalised);
      if (first !== undefined) problems.add(line, `the key ${JSON.stringify(person.key)} (column ${JSON.stringify(mapping.key.column)}) repeats line ${first}`);
      else lineOfKey.set(normalised, line);
      people.push(person);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) throw new CliError(`${file} is not well-formed CSV; nothing was changed: ${(error as Error).message}`);
    throw fileError('read', file, error);
  }
  if (!indexes) throw new CliError(`${file} has no header row; nothing was changed`);
  problems.check();
  return people;
}

/** The position of each mapped column in the header. */
function header(file: string, mapping: Mapping, names: string[]): number[] {
  return mapping.columns.map(({ column }) => {
    const positions = names.flatMap((name, index) => (name === column ? [index] : []));
    if (positions.length === 0) throw new CliError(`${file} has no column ${JSON.stringify(column)}${column === mapping.key.column ? ' (the key column)' : ''} that ${mapping.file} maps; nothing was changed`);
    if (positions.length > 1) throw new CliError(`${file} has ${positions.length} columns named ${JSON.stringify(column)}; nothing was changed`);
    return positions[0] as number;
  });
}

function personOf(mapping: Mapping, problems: ExtractProblems, line: number, cells: string[]): Person | undefined {
  const keyCell = cells[mapping.columns.findIndex((column) => column.column === mapping.key.column)] ?? '';
  if (keyCell === '') {
    problems.add(line, `the key column ${JSON.stringify(mapping.key.column)} is empty`);
    return undefined;
  }
  if (!mapping.owns.test(keyCell)) {
    problems.add(line, `the key ${JSON.stringify(keyCell)} does not match "owns" (${mapping.owns.source}) of ${mapping.file}: the feed would create a user it does not own`);
    return undefined;
  }
  const body: Record<string, unknown> = { schemas: [USER_SCHEMA] };
  const references = new Map<string, string>();
  let usable = true;
  mapping.columns.forEach((column, index) => {
    const cell = cells[index] ?? '';
    if (cell === '') return;
    if (column.references) {
      references.set(column.path, cell);
      return;
    }
    try {
      setValue(body, column.target, cellValue(column.target.schema, cell));
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      problems.add(line, `${keyCell}, column ${JSON.stringify(column.column)}: ${error.message}`);
      usable = false;
    }
  });
  if (!usable) return undefined;
  if (mapping.impliesActive) body['active'] = true;
  const extensions = Object.keys(body).filter((name) => name.startsWith('urn:'));
  body['schemas'] = [USER_SCHEMA, ...extensions];
  try {
    return { line, key: keyCell, attributes: parseResourceBody(USER_RESOURCE, body).attributes, references };
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    problems.add(line, `${keyCell}: ${error.status} ${error.toBody().scimType ?? ''} ${error.message}`.replace(/ +/g, ' '));
    return undefined;
  }
}
