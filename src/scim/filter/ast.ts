/** Syntax tree of a SCIM filter (RFC 7644 §3.4.2.2). Attribute paths keep the text the client wrote. */

export type ComparisonOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/**
 * A comparison operand. Numbers keep their source text so that an unquoted legacy value such as
 * `externalId eq 1.50` can still be compared as the string the client typed.
 */
export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export interface PresentNode {
  kind: 'present';
  path: string;
}

export interface CompareNode {
  kind: 'compare';
  path: string;
  op: ComparisonOperator;
  value: FilterValue;
}

export type AttributeNode = PresentNode | CompareNode;

/** Two or more operands; a chain `A and B and C` is one node. */
export interface AndNode {
  kind: 'and';
  operands: FilterNode[];
}

export interface OrNode {
  kind: 'or';
  operands: FilterNode[];
}

export interface NotNode {
  kind: 'not';
  operand: FilterNode;
}

/**
 * `emails[type eq "work"]`, optionally followed by `.value eq "x"`. Paths inside `filter` and
 * `subAttribute` are sub-attribute names relative to `path` (e.g. "type").
 */
export interface ValuePathNode {
  kind: 'valuePath';
  path: string;
  filter: FilterNode;
  subAttribute?: AttributeNode;
}

export type FilterNode = AndNode | OrNode | NotNode | ValuePathNode | AttributeNode;
