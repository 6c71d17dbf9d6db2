import { DatabaseError } from "../../errors/database-error.js";
import { lex, type Token } from "./lexer.js";
import { checkReadOnlyStatement, type ReadOnlyCheckOptions } from "./read-only-check.js";

// What a statement is: how many there are, the first keyword, and whether it only reads.

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
  const tokens = lex(sql);
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
 * The read-only gate: returns the single statement and whether it is a read. Throws
 * READ_ONLY_VIOLATION for more than one statement, and for a read that names a table function
 * outside READ_ONLY_TABLE_FUNCTIONS, calls `file()`, writes INTO OUTFILE or has a SETTINGS clause
 * naming a setting outside `options.allowedSettings` (see checkReadOnlyStatement); INVALID_QUERY
 * for text that cannot be checked.
 */
export function classifyStatement(
  sql: string,
  options: ReadOnlyCheckOptions = {},
): { kind: "read" | "write"; statement: string } {
  const analysis = analyzeStatement(sql);
  if (analysis.statementCount > 1) {
    throw new DatabaseError(
      "READ_ONLY_VIOLATION",
      "Only one statement per query is allowed in read-only mode",
    );
  }
  if (analysis.kind === "read") checkReadOnlyStatement(analysis.statement, options);
  return { kind: analysis.kind, statement: analysis.statement };
}
