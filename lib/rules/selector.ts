/**
 * PromQL series selectors (`metric{label="v", other=~"re"}`) as rule matchers, and regular
 * expressions anchored as PromQL anchors them: `=~"a|b"` must match the whole value, `^(?:a|b)$`.
 *
 * Prometheus uses RE2; JavaScript's engine accepts more. Constructs RE2 refuses (lookaround,
 * backreferences) are refused here too so a rule means the same thing in both; a leading `(?i)` is
 * turned into the `i` flag and `(?P<name>` into `(?<name>`.
 */
import { metricNameLabel } from '../segment/labels.js';
import type { MatchOp, Matcher } from './types.js';

export class SelectorSyntaxError extends Error {
  override name = 'SelectorSyntaxError';
}

/** Parses `name{l="v", ...}`, `name` or `{...}`. Throws SelectorSyntaxError with the column. */
export function parseSelector(text: string): Matcher[] {
  let pos = 0;
  const fail = (message: string): never => {
    throw new SelectorSyntaxError(`at column ${pos + 1}: ${message}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const identifier = (pattern: RegExp): string => {
    pattern.lastIndex = pos;
    const found = pattern.exec(text);
    if (found === null) return '';
    pos += found[0].length;
    return found[0];
  };
  const matchers: Matcher[] = [];
  skipSpace();
  const name = identifier(/[A-Za-z_:][A-Za-z0-9_:]*/y);
  if (name !== '') matchers.push({ label: metricNameLabel, op: '=', value: name });
  skipSpace();
  if (text[pos] === '{') {
    pos++;
    skipSpace();
    while (text[pos] !== '}') {
      if (pos >= text.length) fail('missing "}"');
      const label = identifier(/[A-Za-z_][A-Za-z0-9_]*/y);
      if (label === '') fail('expected a label name');
      skipSpace();
      const op = (['=~', '!~', '!=', '='] as const).find((candidate) => text.startsWith(candidate, pos));
      if (op === undefined) fail(`expected "=", "!=", "=~" or "!~" after ${label}`);
      pos += op!.length;
      skipSpace();
      const [value, end] = readString(text, pos, fail);
      pos = end;
      matchers.push({ label, op: op as MatchOp, value });
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        skipSpace();
      } else if (text[pos] !== '}') {
        fail('expected "," or "}"');
      }
    }
    pos++;
    skipSpace();
  }
  if (pos < text.length) fail(`unexpected ${JSON.stringify(text.slice(pos, pos + 10))}`);
  if (matchers.length === 0) fail('the selector is empty');
  return matchers;
}

const simpleEscapes: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** A PromQL string literal: "…" or '…' with Go escapes, or `…` raw. Returns the value and the position after it. */
function readString(text: string, start: number, fail: (message: string) => never): [string, number] {
  const quote = text[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') fail('expected a quoted string');
  let pos = start + 1;
  if (quote === '`') {
    const end = text.indexOf('`', pos);
    if (end < 0) fail('unterminated `string`');
    return [text.slice(pos, end), end + 1];
  }
  let value = '';
  for (;;) {
    if (pos >= text.length) fail('unterminated string');
    const ch = text[pos]!;
    if (ch === quote) return [value, pos + 1];
    if (ch === '\n') fail('newline in string');
    if (ch !== '\\') {
      value += ch;
      pos++;
      continue;
    }
    const escape = text[pos + 1] ?? '';
    if (escape in simpleEscapes) {
      value += simpleEscapes[escape];
      pos += 2;
      continue;
    }
    const hex = { x: 2, u: 4, U: 8 }[escape as 'x' | 'u' | 'U'];
    if (hex !== undefined) {
      const digits = text.slice(pos + 2, pos + 2 + hex);
      if (!new RegExp(`^[0-9A-Fa-f]{${hex}}$`).test(digits)) fail(`\\${escape} needs ${hex} hex digits`);
      const code = Number.parseInt(digits, 16);
      if (code > 0x10ffff) fail(`\\${escape}${digits} is not a Unicode code point`);
      value += String.fromCodePoint(code);
      pos += 2 + hex;
      continue;
    }
    if (/[0-7]/.test(escape)) {
      const digits = text.slice(pos + 1, pos + 4);
      if (!/^[0-7]{3}$/.test(digits)) fail('an octal escape needs 3 digits');
      value += String.fromCharCode(Number.parseInt(digits, 8));
      pos += 4;
      continue;
    }
    fail(`unknown escape \\${escape} (write a backslash as \\\\ or use a \`raw\` string)`);
  }
}

/** Compiles a pattern anchored at both ends, as PromQL does. Throws an Error saying what is wrong. */
export function compileAnchoredRegex(pattern: string): RegExp {
  let source = pattern;
  let flags = 'u';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  if (/(^|[^\\])(\\\\)*\(\?<?[=!]/.test(source)) throw new Error('lookaround assertions are not supported (Prometheus uses RE2)');
  if (/(^|[^\\])(\\\\)*\\([1-9]|k<)/.test(source)) throw new Error('backreferences are not supported (Prometheus uses RE2)');
  if (/(^|[^\\])(\\\\)*\(\?[a-zA-Z]/.test(source)) throw new Error('inline flags are supported only as a leading (?i)');
  source = source.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    throw new Error((error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''), { cause: error });
  }
}

export type LabelTest = (value: string) => boolean;

/** A test for one matcher; a missing label is the empty value, as in PromQL. Regex results are memoized. */
export function compileMatcher(matcher: Matcher): LabelTest {
  const { op, value } = matcher;
  if (op === '=') return (actual) => actual === value;
  if (op === '!=') return (actual) => actual !== value;
  const regex = compileAnchoredRegex(value);
  const memo = new Map<string, boolean>();
  const test = (actual: string): boolean => {
    let result = memo.get(actual);
    if (result === undefined) {
      result = regex.test(actual);
      // Label values repeat across series; the cap keeps a high-cardinality label from growing it forever.
      if (memo.size < 10_000) memo.set(actual, result);
    }
    return result;
  };
  return op === '=~' ? test : (actual) => !test(actual);
}
