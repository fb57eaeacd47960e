/**
 * Parsing a config document's text. A syntax error is reported by line and
 * column with a reason of our own, never with the text around it: V8's
 * messages quote the input (`Unexpected token 'T', ..."ySecret": TopSecretV"...`),
 * and the text next to a syntax error in this file is often the access key
 * secret. So the position comes from a small scanner that walks the document
 * as JSON.parse does (run only after JSON.parse has refused it).
 */
import { ConfigError } from './resolve.ts';

export interface JsonSyntaxError {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units from the start of the line. */
  column: number;
  /** What is wrong, never quoting the document. */
  reason: string;
}

class Bad {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {}
}

const END = 'unexpected end of the document';

/** Where JSON.parse would stop on `text`, and why; undefined when the text is valid JSON (or too deeply nested to scan). */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new Bad(at, reason);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const next = () => {
    ws();
    if (i >= text.length) fail(END);
    return text[i]!;
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) fail('a string is not closed', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail('a control character (a line break?) inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) fail('a string is not closed', start);
        else if ('"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('a bad escape (\\) in a string');
      } else i++;
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    const c = next();
    if (c === '{') {
      i++;
      if (next() === '}') return void i++;
      for (;;) {
        if (next() !== '"') fail('expected a property name in double quotes');
        string();
        if (next() !== ':') fail("expected ':' after a property name");
        i++;
        value();
        const d = next();
        if (d === '}') return void i++;
        if (d !== ',') fail("expected ',' or '}' after a property value");
        i++;
      }
    }
    if (c === '[') {
      i++;
      if (next() === ']') return void i++;
      for (;;) {
        value();
        const d = next();
        if (d === ']') return void i++;
        if (d !== ',') fail("expected ',' or ']' after a list element");
        i++;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail('a malformed number');
      i = NUMBER.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, i)) return void (i += literal.length);
    fail('unexpected character: a value must be an object, list, "string", number, true, false or null');
  };
  try {
    value();
    ws();
    if (i < text.length) fail('unexpected text after the document');
    return undefined;
  } catch (err) {
    if (!(err instanceof Bad)) return undefined; // RangeError: nested deeper than this scanner's stack
    const before = text.slice(0, err.at);
    const nl = before.lastIndexOf('\n');
    return { line: before.split('\n').length, column: err.at - nl, reason: err.reason };
  }
}

/** JSON.parse, or a ConfigError `(document): is not valid JSON: <reason> at line L, column C`. */
export function parseConfigJson(text: string, file?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const where = locateJsonError(text);
    if (where) throw new ConfigError('(document)', `is not valid JSON: ${where.reason} at line ${where.line}, column ${where.column}`, file);
    // The scanner found nothing (it should not happen): V8's position, if it gave one, but never its quote of the text.
    const at = /at position (\d+)/.exec((err as Error).message)?.[1];
    throw new ConfigError('(document)', `is not valid JSON${at ? ` (at offset ${at})` : ''}`, file);
  }
}
