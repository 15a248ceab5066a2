import { ScimError } from '../../errors/scim-error.js';
import type { AttributeNode, ComparisonOperator, FilterNode, FilterValue } from './ast.js';

export interface FilterLimits {
  maxLength?: number;
  maxDepth?: number;
}

const DEFAULT_MAX_LENGTH = 4096;
const DEFAULT_MAX_DEPTH = 32;

type TokenKind = 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'string' | 'word' | 'end';

interface Token {
  kind: TokenKind;
  /** Source text; for a string token, its decoded value. */
  text: string;
  /** Zero-based offset of the token's first character. */
  offset: number;
  /** Offset just past the token's last character. */
  endOffset: number;
}

const PUNCTUATION: Readonly<Record<string, TokenKind>> = { '(': 'lparen', ')': 'rparen', '[': 'lbracket', ']': 'rbracket' };
const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not']);
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const URN = /^[A-Za-z][\w.+%-]*(?::[\w.+%-]+)*$/;
/** JSON number grammar; anything looser (e.g. "007") is a legacy bare string. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Parses a SCIM filter; every syntax problem becomes ScimError('invalidFilter') naming the position. */
export function parseFilter(text: string, limits: FilterLimits = {}): FilterNode {
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
  if (typeof text !== 'string' || text.trim() === '') throw invalid('The filter is empty');
  if (text.length > maxLength) {
    throw invalid(`The filter is ${text.length} characters long; the maximum is ${maxLength}`);
  }
  return new Parser(tokenize(text), limits.maxDepth ?? DEFAULT_MAX_DEPTH).parse();
}

/** True for `attr`, `attr.sub`, `urn:...:attr` and `urn:...:attr.sub`. */
export function isAttributePath(text: string): boolean {
  const colon = text.lastIndexOf(':');
  const urn = text.slice(0, Math.max(colon, 0));
  const [name, sub, extra] = text.slice(colon + 1).split('.');
  return (
    (colon < 0 || URN.test(urn)) &&
    name !== undefined &&
    ATTRIBUTE_NAME.test(name) &&
    (sub === undefined || ATTRIBUTE_NAME.test(sub)) &&
    extra === undefined
  );
}

function invalid(detail: string): ScimError {
  return new ScimError('invalidFilter', detail);
}

function at(offset: number): string {
  return `at character ${offset + 1}`;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  while (offset < text.length) {
    const ch = text.charAt(offset);
    if (/\s/.test(ch)) {
      offset += 1;
      continue;
    }
    const punctuation = PUNCTUATION[ch];
    const token = punctuation
      ? { kind: punctuation, text: ch, offset, endOffset: offset + 1 }
      : ch === '"'
        ? readString(text, offset)
        : readWord(text, offset);
    tokens.push(token);
    offset = token.endOffset;
  }
  tokens.push({ kind: 'end', text: '', offset: text.length, endOffset: text.length });
  return tokens;
}

function readString(text: string, start: number): Token {
  let offset = start + 1;
  while (offset < text.length && text.charAt(offset) !== '"') {
    offset += text.charAt(offset) === '\\' ? 2 : 1;
  }
  if (offset >= text.length) throw invalid(`Unterminated string starting ${at(start)}`);
  const literal = text.slice(start, offset + 1);
  return { kind: 'string', text: decodeJsonString(literal, start), offset: start, endOffset: offset + 1 };
}

/** JSON.parse applies exactly the RFC 8259 escape rules that SCIM string values use. */
function decodeJsonString(literal: string, start: number): string {
  try {
    const decoded: unknown = JSON.parse(literal);
    if (typeof decoded === 'string') return decoded;
  } catch {
    // Reported below with the position, which JSON.parse's own message lacks.
  }
  throw invalid(`Invalid string ${at(start)}: bad escape sequence or unescaped control character`);
}

/** A word is an attribute path, operator, keyword, literal or legacy unquoted value. */
function readWord(text: string, start: number): Token {
  let offset = start;
  while (offset < text.length && !/[\s()[\]"{}]/.test(text.charAt(offset))) offset += 1;
  if (offset === start) {
    throw invalid(`Unexpected '${text.charAt(start)}' ${at(start)}; JSON objects are not valid filter values`);
  }
  return { kind: 'word', text: text.slice(start, offset), offset: start, endOffset: offset };
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of filter';
    case 'string':
      return `string ${JSON.stringify(shorten(token.text))}`;
    default:
      return `'${shorten(token.text)}'`;
  }
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function isWord(token: Token, word: string): boolean {
  return token.kind === 'word' && token.text.toLowerCase() === word;
}

/** Recursive descent over the token list; precedence is not > and > or (RFC 7644 §3.4.2.2). */
class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
  ) {}

  parse(): FilterNode {
    const node = this.parseOr(false);
    const next = this.peek();
    if (next.kind !== 'end') {
      throw invalid(`Unexpected ${describe(next)} ${at(next.offset)}; expected 'and', 'or' or end of filter`);
    }
    return node;
  }

  private peek(): Token {
    // The tokenizer always appends an 'end' token and the parser never advances past it.
    return this.tokens[this.index] ?? this.tokens[this.tokens.length - 1]!;
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private expectClosing(kind: 'rparen' | 'rbracket', open: Token): Token {
    const token = this.peek();
    if (token.kind !== kind) {
      const symbol = kind === 'rparen' ? ')' : ']';
      throw invalid(`Expected '${symbol}' ${at(token.offset)} to close the '${open.text}' ${at(open.offset)}, but found ${describe(token)}`);
    }
    return this.advance();
  }

  private parseOr(inBrackets: boolean): FilterNode {
    const operands = [this.parseAnd(inBrackets)];
    while (isWord(this.peek(), 'or')) {
      this.advance();
      operands.push(this.parseAnd(inBrackets));
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private parseAnd(inBrackets: boolean): FilterNode {
    const operands = [this.parseUnary(inBrackets)];
    while (isWord(this.peek(), 'and')) {
      this.advance();
      operands.push(this.parseUnary(inBrackets));
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private parseUnary(inBrackets: boolean): FilterNode {
    const token = this.peek();
    if (isWord(token, 'not')) {
      this.advance();
      if (this.peek().kind !== 'lparen') {
        throw invalid(`'not' ${at(token.offset)} must be followed by a filter in parentheses, e.g. not (userName eq "x")`);
      }
      return { kind: 'not', operand: this.parseGroup(inBrackets) };
    }
    if (token.kind === 'lparen') return this.parseGroup(inBrackets);
    if (token.kind === 'word' && !KEYWORDS.has(token.text.toLowerCase())) return this.parseAttributeExpression(inBrackets);
    throw invalid(`Expected an attribute name, '(' or 'not' ${at(token.offset)} but found ${describe(token)}`);
  }

  private parseGroup(inBrackets: boolean): FilterNode {
    const open = this.advance();
    this.enter(open);
    const node = this.parseOr(inBrackets);
    this.expectClosing('rparen', open);
    this.depth -= 1;
    return node;
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > this.maxDepth) {
      throw invalid(`The filter nests deeper than ${this.maxDepth} levels ${at(token.offset)}`);
    }
  }

  private parseAttributeExpression(inBrackets: boolean): FilterNode {
    const token = this.advance();
    const path = token.text;
    if (inBrackets ? !ATTRIBUTE_NAME.test(path) : !isAttributePath(path)) {
      const kind = inBrackets ? 'sub-attribute name inside brackets' : 'attribute path';
      throw invalid(`Invalid ${kind} '${shorten(path)}' ${at(token.offset)}`);
    }
    if (this.peek().kind !== 'lbracket') return this.parseAttributeTest(path, token);
    if (inBrackets) throw invalid(`Brackets cannot be nested ${at(this.peek().offset)}`);
    return this.parseValuePath(path, token);
  }

  private parseValuePath(path: string, pathToken: Token): FilterNode {
    if (path.slice(path.lastIndexOf(':') + 1).includes('.')) {
      throw invalid(`A value filter '[' must follow a multi-valued attribute, not the sub-attribute '${path}' ${at(pathToken.offset)}`);
    }
    const open = this.advance();
    this.enter(open);
    const filter = this.parseOr(true);
    const close = this.expectClosing('rbracket', open);
    this.depth -= 1;
    const subAttribute = this.parseTrailingSubAttribute(close);
    return subAttribute ? { kind: 'valuePath', path, filter, subAttribute } : { kind: 'valuePath', path, filter };
  }

  /** `emails[type eq "work"].value eq "x"`: the `.value` must touch the closing bracket. */
  private parseTrailingSubAttribute(close: Token): AttributeNode | undefined {
    const next = this.peek();
    if (next.kind !== 'word' || next.offset !== close.endOffset || !next.text.startsWith('.')) return undefined;
    this.advance();
    const name = next.text.slice(1);
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(`Invalid sub-attribute '${shorten(next.text)}' ${at(next.offset)}`);
    return this.parseAttributeTest(name, next);
  }

  private parseAttributeTest(path: string, pathToken: Token): AttributeNode {
    const token = this.advance();
    if (token.kind !== 'word') {
      throw invalid(`Expected an operator after '${shorten(pathToken.text)}' ${at(token.offset)} but found ${describe(token)}`);
    }
    const op = token.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!isComparisonOperator(op)) {
      throw invalid(
        `Unknown operator '${shorten(token.text)}' ${at(token.offset)}; expected one of eq, ne, co, sw, ew, gt, ge, lt, le, pr`,
      );
    }
    return { kind: 'compare', path, op, value: this.parseValue(token) };
  }

  private parseValue(operator: Token): FilterValue {
    const token = this.advance();
    if (token.kind === 'string') return { kind: 'string', value: token.text };
    if (token.kind !== 'word' || KEYWORDS.has(token.text.toLowerCase())) {
      const hint = token.kind === 'lbracket' ? '; JSON arrays are not valid filter values' : '';
      throw invalid(`Expected a value after '${operator.text}' ${at(token.offset)} but found ${describe(token)}${hint}`);
    }
    return wordValue(token);
  }
}

function isComparisonOperator(op: string): op is ComparisonOperator {
  return COMPARISON_OPERATORS.has(op);
}

/** RFC 7644 literals are case-insensitive ABNF strings; any other word is a legacy unquoted string. */
function wordValue(token: Token): FilterValue {
  const lower = token.text.toLowerCase();
  if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true' };
  if (lower === 'null') return { kind: 'null' };
  if (!JSON_NUMBER.test(token.text)) return { kind: 'string', value: token.text };
  const value = Number(token.text);
  if (!Number.isFinite(value)) throw invalid(`The number '${shorten(token.text)}' ${at(token.offset)} is out of range`);
  return { kind: 'number', value, text: token.text };
}
