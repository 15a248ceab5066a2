// The mapping file of an HR feed (docs/cli.md, "HR feed"): which CSV column becomes which SCIM User
// attribute, which column is the person's key, and which users the feed owns. Every path is read by
// the PATCH path parser, so a mapping names attributes exactly as a SCIM client would.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ScimError } from '../../../errors/scim-error.js';
import type { CompareNode } from '../../../scim/filter/ast.js';
import { isWholeExtension, parsePatchPath, pathSchemas } from '../../../scim/patch/path.js';
import { USER_RESOURCE, type AttributeSchema } from '../../../scim/schema-registry.js';
import { fileError, UsageError } from '../../run.js';

/** Where a column's value goes: `attribute`, `attribute.sub`, or `attribute[type eq "t"].sub`, in core or an extension. */
export interface Target {
  extension: string | undefined;
  attribute: string;
  subAttribute: string | undefined;
  /** For one value of a multi-valued attribute: the `type` that selects it. */
  type: string | undefined;
  /** The leaf's schema: how a cell is read. */
  schema: AttributeSchema;
}

export interface MappedColumn {
  column: string;
  /** The path in canonical spelling, as plans print it and PATCH operations name it. */
  path: string;
  target: Target;
  /** The cell holds another person's key; the attribute gets that person's user id (the enterprise manager). */
  references: boolean;
}

export type KeyAttribute = 'externalId' | 'userName';

export interface Mapping {
  file: string;
  key: MappedColumn & { attribute: KeyAttribute };
  /** Users whose key attribute matches are the feed's: only they can be movers or leavers. */
  owns: RegExp;
  columns: MappedColumn[];
  /** No column maps `active`: every person of the extract is active. */
  impliesActive: boolean;
}

const Shape = z.strictObject({
  key: z.string().min(1),
  owns: z.string().min(1),
  columns: z.record(z.string().min(1), z.union([z.string().min(1), z.strictObject({ attribute: z.string().min(1), references: z.literal('key').optional() })])),
});

const ACTIVE: Target = { extension: undefined, attribute: 'active', subAttribute: undefined, type: undefined, schema: pathSchemas(USER_RESOURCE, { attribute: 'active' }).attribute };

export const pathText = (target: Omit<Target, 'schema'>) =>
  `${target.extension ? `${target.extension}:` : ''}${target.attribute}${target.type === undefined ? '' : `[type eq ${JSON.stringify(target.type)}]`}${target.subAttribute ? `.${target.subAttribute}` : ''}`;

/** The `type eq "work"` of a value filter; anything else cannot say which element a cell fills. */
function filterType(filter: unknown): string | undefined {
  const node = filter as CompareNode;
  if (node.kind === 'compare' && node.path.toLowerCase() === 'type' && node.op === 'eq' && node.value.kind === 'string') return node.value.value;
  return undefined;
}

/** Where a mapping path puts a cell's value; an Error says why the path cannot take one. */
export function targetOf(text: string): Target {
  const path = parsePatchPath(USER_RESOURCE, text);
  if (isWholeExtension(path)) throw new Error(`'${text}' names a whole extension; map its attributes one by one`);
  const { attribute, subAttribute } = pathSchemas(USER_RESOURCE, path);
  const leaf = subAttribute ?? attribute;
  if (leaf.mutability === 'readOnly' || leaf.mutability === 'writeOnly') throw new Error(`'${text}' is ${leaf.mutability}: a feed cannot set it`);
  if (leaf.type === 'complex') throw new Error(`'${text}' is complex: map its sub-attributes (e.g. '${attribute.name}.${leaf.subAttributes?.[0]?.name ?? 'value'}')`);
  const type = path.filter === undefined ? undefined : filterType(path.filter);
  if (path.filter !== undefined && type === undefined) throw new Error(`'${text}': a value filter here must be [type eq "<type>"]`);
  if (attribute.multiValued && attribute.type === 'complex' && (type === undefined || subAttribute === undefined)) {
    throw new Error(`'${text}' is multi-valued: map one value by its type, e.g. '${attribute.name}[type eq "work"].value'`);
  }
  if (attribute.multiValued && attribute.type !== 'complex') throw new Error(`'${text}' is a multi-valued simple attribute, which a column cannot hold`);
  return { extension: path.extension, attribute: path.attribute, subAttribute: path.subAttribute, type, schema: leaf };
}

function mappedColumn(file: string, column: string, entry: string | { attribute: string; references?: 'key' | undefined }): MappedColumn {
  const text = typeof entry === 'string' ? entry : entry.attribute;
  const references = typeof entry !== 'string' && entry.references === 'key';
  let mapped: Target;
  try {
    mapped = targetOf(text);
  } catch (error) {
    throw new UsageError(`${file}: columns[${JSON.stringify(column)}]: ${(error as Error).message}`);
  }
  if (references && mapped.schema.type !== 'string' && mapped.schema.type !== 'reference') {
    throw new UsageError(`${file}: columns[${JSON.stringify(column)}]: "references": "key" needs a string attribute (e.g. the enterprise manager.value), not the ${mapped.schema.type} '${text}'`);
  }
  return { column, path: pathText(mapped), target: mapped, references };
}

function problems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`).join('; ');
}

/** Reads and checks a mapping file; every mistake is a usage error naming the file and the column. */
export async function loadMapping(file: string): Promise<Mapping> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw fileError('read', file, error);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = Shape.safeParse(json);
  if (!parsed.success) throw new UsageError(`${file}: ${problems(parsed.error)} (expected {"key": "<column>", "owns": "<pattern>", "columns": {"<column>": "<attribute path>", ...}})`);
  const { key, owns, columns: entries } = parsed.data;
  const columns = Object.entries(entries).map(([column, entry]) => mappedColumn(file, column, entry));
  const seen = new Map<string, string>();
  for (const { column, path } of columns) {
    const other = seen.get(path.toLowerCase());
    if (other !== undefined) throw new UsageError(`${file}: columns ${JSON.stringify(other)} and ${JSON.stringify(column)} both map to '${path}'`);
    seen.set(path.toLowerCase(), column);
  }
  const keyColumn = columns.find((candidate) => candidate.column === key);
  if (!keyColumn) throw new UsageError(`${file}: the key column ${JSON.stringify(key)} is not one of "columns"`);
  const keyAttribute = keyColumn.target.extension === undefined && keyColumn.target.subAttribute === undefined ? keyColumn.target.attribute : '';
  if (keyAttribute !== 'externalId' && keyAttribute !== 'userName') throw new UsageError(`${file}: the key column ${JSON.stringify(key)} must map to externalId or userName, not '${keyColumn.path}'`);
  if (keyColumn.references) throw new UsageError(`${file}: the key column ${JSON.stringify(key)} cannot reference another person`);
  if (!columns.some((column) => column.path === 'userName')) throw new UsageError(`${file}: no column maps to userName, which every new user needs`);
  let pattern: RegExp;
  try {
    // userName compares case-insensitively (RFC 7643 §4.1), externalId exactly.
    pattern = new RegExp(owns, keyAttribute === 'userName' ? 'iu' : 'u');
  } catch (error) {
    throw new UsageError(`${file}: "owns" is not a valid regular expression: ${(error as Error).message}`);
  }
  return {
    file,
    key: { ...keyColumn, attribute: keyAttribute },
    owns: pattern,
    columns,
    impliesActive: !columns.some((column) => column.path === 'active'),
  };
}

/** The targets a plan compares: every mapped column, and `active` when the extract implies it. */
export function comparedTargets(mapping: Mapping): { path: string; target: Target; references: boolean }[] {
  return [...mapping.columns, ...(mapping.impliesActive ? [{ path: 'active', target: ACTIVE, references: false }] : [])];
}

/** A cell as its attribute's type reads it; a ScimError names what is wrong with it. */
export function cellValue(schema: AttributeSchema, cell: string): unknown {
  switch (schema.type) {
    case 'boolean': {
      const lower = cell.toLowerCase();
      if (['true', 'yes', '1'].includes(lower)) return true;
      if (['false', 'no', '0'].includes(lower)) return false;
      throw new ScimError('invalidValue', `"${cell}" is not a boolean (true/false, yes/no, 1/0)`);
    }
    case 'integer':
    case 'decimal': {
      const number = Number(cell);
      if (!Number.isFinite(number) || (schema.type === 'integer' && !Number.isInteger(number))) throw new ScimError('invalidValue', `"${cell}" is not ${schema.type === 'integer' ? 'a whole number' : 'a number'}`);
      return number;
    }
    default:
      return cell;
  }
}
