import { DatabaseError } from "../../errors/database-error.js";

// A lexer that mirrors the token boundaries of ClickHouse's own (src/Parsers/Lexer.cpp) for the
// parts that matter here: where strings, quoted identifiers, heredocs and comments start and
// end, and where statements are separated. It does not parse; it only has to agree with the
// server about which characters are code.

export type TokenType = "word" | "quoted" | "string" | "heredoc" | "open" | "close" | "semicolon" | "other";

export interface Token {
  type: TokenType;
  start: number;
  end: number;
}

class UnterminatedError extends Error {}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

// ClickHouse skips these as whitespace too (skipWhitespacesUTF8): U+0085, U+180E, U+200B..U+200D
// and U+2060 are not in JavaScript's \s. Without them, `file\u200b(` would not look like a call
// here while ClickHouse calls file(). (\s has U+1680, which ClickHouse rejects: harmless.)
const isSpace = (c: string): boolean => /[\s\u0085\u180e\u200b-\u200d\u2060]/.test(c);

/** Index just past a quoted run that started at `start` (ClickHouse: backslash escapes, doubled quote). */
function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "\\") {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  throw new UnterminatedError(quote === "'" ? "string" : "quoted identifier");
}

function skipBlockComment(sql: string, start: number): number {
  // ClickHouse nests block comments, as the SQL standard says.
  let depth = 1;
  let i = start + 2;
  while (i + 1 < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth += 1;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  throw new UnterminatedError("comment");
}

function endOfLine(sql: string, start: number): number {
  const i = sql.indexOf("\n", start);
  return i === -1 ? sql.length : i;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    const start = i;
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    if ((c === "-" && next === "-") || (c === "/" && next === "/")) {
      i = endOfLine(sql, i);
      continue;
    }
    if (c === "#" && (next === " " || next === "!")) {
      i = endOfLine(sql, i);
      continue;
    }
    if (c === "/" && next === "*") {
      i = skipBlockComment(sql, i);
      continue;
    }
    if (c === "'") {
      i = skipQuoted(sql, i, "'");
      tokens.push({ type: "string", start, end: i });
      continue;
    }
    if (c === '"' || c === "`") {
      i = skipQuoted(sql, i, c);
      tokens.push({ type: "quoted", start, end: i });
      continue;
    }
    if (c === "$") {
      const tagEnd = sql.indexOf("$", i + 1);
      if (tagEnd !== -1) {
        const tag = sql.slice(i, tagEnd + 1);
        const close = sql.indexOf(tag, tagEnd + 1);
        if (close !== -1) {
          i = close + tag.length;
          tokens.push({ type: "heredoc", start, end: i });
          continue;
        }
      }
    }
    if (isWordChar(c) || c === "$") {
      i += 1;
      while (i < sql.length && (isWordChar(sql[i]) || sql[i] === "$")) i += 1;
      tokens.push({ type: "word", start, end: i });
      continue;
    }
    i += 1;
    const type: TokenType =
      c === "(" || c === "[" ? "open" : c === ")" || c === "]" ? "close" : c === ";" ? "semicolon" : "other";
    tokens.push({ type, start, end: i });
  }
  return tokens;
}

/** The tokens of `sql`, or INVALID_QUERY for text that cannot be checked. */
export function lex(sql: string): Token[] {
  try {
    return tokenize(sql);
  } catch (error) {
    if (error instanceof UnterminatedError) {
      throw new DatabaseError("INVALID_QUERY", `The query has an unterminated ${error.message}`);
    }
    throw error;
  }
}
