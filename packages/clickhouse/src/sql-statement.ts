import { DatabaseError } from "./errors.js";

// A lexer that mirrors the token boundaries of ClickHouse's own (src/Parsers/Lexer.cpp) for the
// parts that matter here: where strings, quoted identifiers, heredocs and comments start and
// end, and where statements are separated. It does not parse; it only has to agree with the
// server about which characters are code.

type TokenType = "word" | "quoted" | "string" | "heredoc" | "open" | "close" | "semicolon" | "other";

interface Token {
  type: TokenType;
  start: number;
  end: number;
}

class UnterminatedError extends Error {}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

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
    if (/\s/.test(c)) {
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

const READ_KEYWORDS = new Set(["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"]);

// Keywords that start a statement of their own. After WITH, the first of these found outside
// parentheses is the statement the CTEs belong to.
const STATEMENT_KEYWORDS = new Set([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "ALTER",
  "CREATE",
  "DROP",
  "TRUNCATE",
  "RENAME",
  "EXCHANGE",
  "ATTACH",
  "DETACH",
  "UNDROP",
  "OPTIMIZE",
  "GRANT",
  "REVOKE",
  "KILL",
  "SYSTEM",
  "SET",
  "USE",
  "BACKUP",
  "RESTORE",
  "MOVE",
]);

export interface StatementAnalysis {
  /** `read` only for SELECT / WITH…SELECT / SHOW / DESCRIBE / EXISTS / EXPLAIN. */
  kind: "read" | "write";
  /** The first keyword, upper-cased (e.g. `SELECT`), or the first token if it is not a word. */
  keyword: string;
  /** The statement without leading/trailing comments, whitespace and semicolons. */
  statement: string;
  /** How many statements the text holds (statements separated by `;`). */
  statementCount: number;
}

/**
 * Splits and inspects SQL without judging it; throws only when the text cannot be checked at
 * all (empty, or an unterminated string, quoted identifier or comment).
 */
export function analyzeStatement(sql: string): StatementAnalysis {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (error) {
    if (error instanceof UnterminatedError) {
      throw new DatabaseError("INVALID_QUERY", `The query has an unterminated ${error.message}`);
    }
    throw error;
  }
  const statements: Token[][] = [[]];
  for (const token of tokens) {
    if (token.type === "semicolon") statements.push([]);
    else statements.at(-1)!.push(token);
  }
  const nonEmpty = statements.filter((statement) => statement.length > 0);
  const first = nonEmpty[0];
  if (first === undefined) throw new DatabaseError("INVALID_QUERY", "The query is empty");

  const upper = (token: Token) => sql.slice(token.start, token.end).toUpperCase();
  // A statement may be wrapped in parentheses: (SELECT 1) UNION ALL (SELECT 2).
  const lead = first.find((token) => token.type !== "open")!;
  const keyword = upper(lead);
  let kind: "read" | "write" = lead.type === "word" && READ_KEYWORDS.has(keyword) ? "read" : "write";
  if (kind === "read" && keyword === "WITH") {
    let depth = 0;
    let main: string | undefined;
    for (const token of first) {
      if (token.type === "open") depth += 1;
      else if (token.type === "close") depth = Math.max(0, depth - 1);
      else if (depth === 0 && token.type === "word" && STATEMENT_KEYWORDS.has(upper(token))) {
        main = upper(token);
        break;
      }
    }
    if (main !== "SELECT") kind = "write";
  }
  return {
    kind,
    keyword,
    statement: sql.slice(first[0]!.start, first.at(-1)!.end),
    statementCount: nonEmpty.length,
  };
}

/**
 * The read-only gate: returns the single statement if it is a read, throws READ_ONLY_VIOLATION
 * for anything else (more than one statement, or a statement that may write), and INVALID_QUERY
 * for text that cannot be checked.
 */
export function classifyStatement(sql: string): { kind: "read" | "write"; statement: string } {
  const analysis = analyzeStatement(sql);
  if (analysis.statementCount > 1) {
    throw new DatabaseError(
      "READ_ONLY_VIOLATION",
      "Only one statement per query is allowed in read-only mode",
    );
  }
  return { kind: analysis.kind, statement: analysis.statement };
}
