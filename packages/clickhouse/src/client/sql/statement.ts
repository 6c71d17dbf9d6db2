import { DatabaseError } from "../../errors/database-error.js";

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
function lex(sql: string): Token[] {
  try {
    return tokenize(sql);
  } catch (error) {
    if (error instanceof UnterminatedError) {
      throw new DatabaseError("INVALID_QUERY", `The query has an unterminated ${error.message}`);
    }
    throw error;
  }
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

// --- What a read may contain ------------------------------------------------------------------
//
// ClickHouse's own `readonly` does not stop table functions everywhere: with readonly=1,
// `DESCRIBE TABLE file(…)` / `DESC url(…)` / `DESCRIBE remote(…)` still run their schema
// inference (read the file, fetch the URL, log in to the remote server), `cluster()`,
// `clusterAllReplicas()` and `eval()` are allowed outright, and the scalar `file()` reads server
// files; a user whose profile is readonly=2 cannot be sent readonly=1 at all. So reads are checked
// here, on the tokens, before anything is sent. Two rules, either of which refuses:
//
// 1. In table position (after FROM of a SELECT, JOIN, a comma of a FROM list, TABLE, DESCRIBE,
//    a statement-leading DESC, EXISTS, OVERRIDE), `name(` must name an allow-listed table
//    function. This also refuses table functions that future ClickHouse versions add.
// 2. Anywhere in the statement, `name(` must not name a known table function outside the
//    allow-list. This holds even where rule 1's idea of "table position" is wrong, and refuses
//    the scalar `file()`, which reads files on the server.

/**
 * Table functions a read-only query may use. They only generate or echo data given in the query:
 * no file, network, other server, dictionary or other table is touched.
 *
 * - `numbers`, `numbers_mt`, `zeros`, `zeros_mt`, `primes`, `generate_series`/`generateSeries`,
 *   `generateRandom`: generators (unbounded ones are stopped by the row cap and the deadline).
 * - `values`, `null`: rows from the query's own literals; an empty table.
 * - `view(SELECT …)`: a subquery; its text is checked like the rest of the statement.
 * - `format(FORMAT, 'data')`: parses the string literal it is given. It is also a scalar function
 *   (`format('{} {}', a, b)`), which must keep working. The input formats that read schema files
 *   (Protobuf, CapnProto, Template, …) need settings such as `format_schema`, which a read-only
 *   query cannot set (see the SETTINGS rule), and those files are confined to the server's
 *   `format_schema_path` anyway.
 *
 * Left out on purpose: `merge`/`loop`/`dictionary`/`mergeTree*`/`timeSeries*` (other tables, or
 * infinite), `cluster`/`clusterAllReplicas`/`remote*` (other servers), `eval` (builds SQL from
 * expressions, which no lexical check can see), `viewIfPermitted`/`viewExplain` (not needed;
 * `FROM (EXPLAIN …)`, which ClickHouse turns into viewExplain, names no function and is left to
 * ClickHouse's own readonly), and everything that reads files, URLs or external systems.
 */
export const READ_ONLY_TABLE_FUNCTIONS: readonly string[] = Object.freeze([
  "numbers",
  "numbers_mt",
  "zeros",
  "zeros_mt",
  "primes",
  "generate_series",
  "generateSeries",
  "generateRandom",
  "values",
  "null",
  "view",
  "format",
]);

// Every table function ClickHouse 26.7 has (system.table_functions), and some that other versions
// have or had, except the allow-listed ones. Refused anywhere in a read, in any letter case (some
// table functions are case-insensitive, e.g. `VALUES`, `View`). Besides the allow-listed `format`,
// the only names that are also scalar functions (system.functions) are `file` (reads a file:
// refused as a scalar as well) and `fuzzQuery` (only rewrites a string: not listed here, so the
// scalar works; rule 1 refuses the table function). read-only-guard.test.ts checks this list
// against the running server.
const KNOWN_TABLE_FUNCTIONS = [
  "arrowFlight",
  "azureBlobStorage",
  "azureBlobStorageCluster",
  "cluster",
  "clusterAllReplicas",
  "cosn",
  "deltaLake",
  "deltaLakeAzure",
  "deltaLakeAzureCluster",
  "deltaLakeCluster",
  "deltaLakeLocal",
  "deltaLakeS3",
  "deltaLakeS3Cluster",
  "dictionary",
  "eval",
  "executable",
  "file",
  "fileCluster",
  "filesystem",
  "fuzzJSON",
  "gcs",
  "hdfs",
  "hdfsCluster",
  "hive",
  "hudi",
  "hudiCluster",
  "iceberg",
  "icebergAzure",
  "icebergAzureCluster",
  "icebergCluster",
  "icebergHDFS",
  "icebergHDFSCluster",
  "icebergLocal",
  "icebergLocalCluster",
  "icebergS3",
  "icebergS3Cluster",
  "input",
  "jdbc",
  "loop",
  "meiliMatch",
  "merge",
  "mergeTreeAnalyzeIndexes",
  "mergeTreeAnalyzeIndexesUUID",
  "mergeTreeIndex",
  "mergeTreeProjection",
  "mergeTreeTextIndex",
  "mongodb",
  "mysql",
  "odbc",
  "oss",
  "paimon",
  "paimonAzure",
  "paimonAzureCluster",
  "paimonCluster",
  "paimonHDFS",
  "paimonHDFSCluster",
  "paimonLocal",
  "paimonS3",
  "paimonS3Cluster",
  "postgresql",
  "prometheusQuery",
  "prometheusQueryRange",
  "redis",
  "remote",
  "remoteSecure",
  "s3",
  "s3Cluster",
  "sqlite",
  "SQLStandardValues",
  "timeSeriesData",
  "timeSeriesMetrics",
  "timeSeriesSamples",
  "timeSeriesSelector",
  "timeSeriesTags",
  "url",
  "urlCluster",
  "viewExplain",
  "viewIfPermitted",
  "ytsaurus",
];

const lower = (name: string) => name.toLowerCase();
const ALLOWED_TABLE_FUNCTIONS = new Set(READ_ONLY_TABLE_FUNCTIONS.map(lower));
/** Lower-cased name → the name as ClickHouse spells it, for messages. */
const DENIED_FUNCTIONS = new Map(
  KNOWN_TABLE_FUNCTIONS.filter((name) => !ALLOWED_TABLE_FUNCTIONS.has(lower(name))).map((name) => [
    lower(name),
    name,
  ]),
);

/**
 * Settings a read's SETTINGS clause may never name, even when the caller allows them: the limits
 * and the `readonly` level this package sends with the request (a query's own SETTINGS override
 * those), and their companions.
 */
const CLIENT_CONTROLLED_SETTINGS = new Set([
  "readonly",
  "max_execution_time",
  "timeout_overflow_mode",
  "max_memory_usage",
  "max_result_rows",
  "max_result_bytes",
  "result_overflow_mode",
]);

// After FROM, at the same depth, commas separate tables until one of these starts a new clause.
const FROM_LIST_END = new Set([
  "WHERE",
  "PREWHERE",
  "GROUP",
  "ORDER",
  "HAVING",
  "LIMIT",
  "OFFSET",
  "SETTINGS",
  "FORMAT",
  "UNION",
  "EXCEPT",
  "INTERSECT",
  "WINDOW",
  "QUALIFY",
  "INTO",
  "ARRAY",
  "SELECT",
]);

// Keywords that can follow TABLE, FROM, … and precede `(` without being a table function
// (`WHERE table IN ('a', 'b')` on system.parts, `SELECT table FROM (SELECT …)`).
const NOT_TABLE_FUNCTIONS = new Set([
  "IN",
  "NOT",
  "AND",
  "OR",
  "LIKE",
  "ILIKE",
  "IS",
  "BETWEEN",
  "AS",
  "FROM",
  "SELECT",
  "WITH",
  "WHERE",
  "ON",
  "USING",
  "EXISTS",
  "GLOBAL",
  "ANY",
  "ALL",
]);

// Words after which TABLE introduces a table: DESCRIBE TABLE, SHOW CREATE [TEMPORARY] TABLE,
// EXISTS [TEMPORARY] TABLE, EXPLAIN TABLE OVERRIDE.
const BEFORE_TABLE = new Set(["DESCRIBE", "DESC", "CREATE", "TEMPORARY", "EXISTS", "EXPLAIN"]);

// Words that end a SETTINGS clause's list.
const SETTINGS_END = new Set(["FORMAT", "UNION", "EXCEPT", "INTERSECT", "INTO", "SELECT", "PARALLEL"]);

export interface ReadOnlyCheckOptions {
  /**
   * Settings a read's own SETTINGS clause may name (the same list as `QueryOptions.allowedSettings`).
   * Default: none. `readonly` and the limits this package sends are refused whatever the list says.
   */
  allowedSettings?: readonly string[];
}

interface Frame {
  /** Index of the frame's first token (after its opening parenthesis). */
  start: number;
  /** A SELECT keyword was seen at this depth: FROM here is a FROM clause, not `extract(x FROM y)`. */
  select: boolean;
  /** Inside a FROM list at this depth: a comma is followed by a table. */
  fromList: boolean;
}

/**
 * Throws READ_ONLY_VIOLATION, naming the function or setting, when a statement meant to only
 * read names a table function outside READ_ONLY_TABLE_FUNCTIONS (in any clause, subquery or
 * statement form, quoted or not, in any letter case), calls `file()`, writes INTO OUTFILE, or
 * has a SETTINGS clause naming a setting that is not allowed. Nothing is sent anywhere.
 */
export function checkReadOnlyStatement(sql: string, options: ReadOnlyCheckOptions = {}): void {
  const tokens = lex(sql);
  const text = (token: Token | undefined) => (token ? sql.slice(token.start, token.end) : "");
  const upper = (token: Token | undefined) => (token?.type === "word" ? text(token).toUpperCase() : "");
  const isOpenParen = (token: Token | undefined) => token?.type === "open" && text(token) === "(";
  const isName = (token: Token | undefined) => token?.type === "word" || token?.type === "quoted";

  /** The identifier a word or quoted token stands for; `undefined` for a quoted one with escapes. */
  const nameOf = (token: Token): string | undefined => {
    const raw = text(token);
    if (token.type !== "quoted") return raw;
    const quote = raw[0]!;
    const inner = raw.slice(1, -1);
    // ClickHouse decodes backslash escapes in quoted identifiers (`fi\x6ce` is file); rather than
    // mirror every escape, such a name is refused where it would matter.
    if (inner.includes("\\")) return undefined;
    return inner.replaceAll(quote + quote, quote);
  };

  const refuseFunction = (name: string, inTablePosition: boolean): never => {
    const canonical = DENIED_FUNCTIONS.get(lower(name)) ?? name;
    const message =
      !inTablePosition && lower(name) === "file"
        ? `function "file" is not allowed in read-only mode: it reads files on the ClickHouse server`
        : `table function "${canonical}" is not allowed in read-only mode (allowed: ${READ_ONLY_TABLE_FUNCTIONS.join(", ")})`;
    throw new DatabaseError("READ_ONLY_VIOLATION", message);
  };

  const refuseEscapedName = (token: Token): never => {
    throw new DatabaseError(
      "READ_ONLY_VIOLATION",
      `the quoted name ${text(token)} has escape sequences, which read-only mode does not allow in a function or setting name`,
    );
  };

  /** Rule 1: the table at `index`, if it is a call, must be an allow-listed table function. */
  const checkTable = (index: number): void => {
    let i = index;
    const parts: string[] = [];
    if (tokens[i]?.type === "word" && NOT_TABLE_FUNCTIONS.has(upper(tokens[i]))) return;
    while (isName(tokens[i])) {
      const name = nameOf(tokens[i]!);
      if (name === undefined) {
        if (isOpenParen(tokens[i + 1])) refuseEscapedName(tokens[i]!);
        return;
      }
      parts.push(name);
      if (text(tokens[i + 1]) === "." && isName(tokens[i + 2])) i += 2;
      else break;
    }
    if (parts.length === 0 || !isOpenParen(tokens[i + 1])) return;
    const name = parts.join(".");
    if (!ALLOWED_TABLE_FUNCTIONS.has(lower(name))) refuseFunction(name, true);
  };

  /** The `name = value, …` list of a SETTINGS clause that starts at `index`. */
  const checkSettings = (index: number): void => {
    const allowed = options.allowedSettings ?? [];
    let i = index;
    for (;;) {
      const token = tokens[i];
      if (!isName(token) || text(tokens[i + 1]) !== "=") return;
      const name = nameOf(token!) ?? text(token);
      if (!allowed.includes(name) || CLIENT_CONTROLLED_SETTINGS.has(lower(name))) {
        throw new DatabaseError(
          "READ_ONLY_VIOLATION",
          `the setting "${name}" is not allowed in the SETTINGS clause of a read-only query${
            allowed.length > 0
              ? ` (allowed: ${allowed.filter((s) => !CLIENT_CONTROLLED_SETTINGS.has(lower(s))).join(", ")})`
              : ""
          }`,
        );
      }
      // Skip the value (a literal, possibly negative, or a call/array/tuple) up to the next comma.
      let depth = 0;
      i += 2;
      for (; i < tokens.length; i += 1) {
        const t = tokens[i]!;
        if (t.type === "open") depth += 1;
        else if (t.type === "close") {
          if (depth === 0) return;
          depth -= 1;
        } else if (depth === 0 && (t.type === "semicolon" || SETTINGS_END.has(upper(t)))) return;
        else if (depth === 0 && text(t) === ",") break;
      }
      i += 1;
    }
  };

  // The statement itself counts as a SELECT frame: `SHOW COLUMNS FROM t` has a FROM clause too.
  const frames: Frame[] = [{ start: 0, select: true, fromList: false }];
  const leadingParens = tokens.findIndex((token) => token.type !== "open");
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const frame = frames.at(-1)!;
    if (token.type === "open") {
      frames.push({ start: i + 1, select: false, fromList: false });
      continue;
    }
    if (token.type === "close") {
      if (frames.length > 1) frames.pop();
      continue;
    }
    if (token.type === "semicolon") {
      frames.length = 1;
      frames[0] = { start: i + 1, select: true, fromList: false };
      continue;
    }
    if (token.type === "other") {
      if (frame.fromList && text(token) === ",") checkTable(i + 1);
      continue;
    }
    if (!isName(token)) continue;

    // Rule 2: a known table function (or file()) called anywhere.
    if (isOpenParen(tokens[i + 1])) {
      const name = nameOf(token);
      if (name === undefined) refuseEscapedName(token);
      else if (DENIED_FUNCTIONS.has(lower(name))) refuseFunction(name, false);
    }
    if (token.type !== "word") continue;
    const keyword = upper(token);
    const previous = upper(tokens[i - 1]);
    if (FROM_LIST_END.has(keyword)) frame.fromList = false;
    if (keyword === "SELECT") {
      frame.select = true;
    } else if (keyword === "FROM") {
      // A FROM clause, also in `(FROM t SELECT x)`; not `a IS [NOT] DISTINCT FROM b`, nor
      // `extract(YEAR FROM d)` / `trim(BOTH ' ' FROM s)`.
      if ((frame.select || i === frame.start) && previous !== "DISTINCT") {
        checkTable(i + 1);
        frame.fromList = true;
      }
    } else if (keyword === "JOIN") {
      // ARRAY JOIN is followed by expressions (`ARRAY JOIN range(3) AS r, …`), not tables.
      frame.fromList = previous !== "ARRAY";
      if (frame.fromList) checkTable(i + 1);
    } else if (
      keyword === "DESCRIBE" ||
      keyword === "EXISTS" ||
      (keyword === "TABLE" && BEFORE_TABLE.has(previous)) ||
      (keyword === "OVERRIDE" && previous === "TABLE") ||
      // DESC also ends an ORDER BY item (`ORDER BY x DESC INTERPOLATE (…)`): only as a statement.
      (keyword === "DESC" && i === leadingParens)
    ) {
      checkTable(i + 1);
    } else if (keyword === "SETTINGS") {
      checkSettings(i + 1);
    } else if (keyword === "OUTFILE" && previous === "INTO") {
      throw new DatabaseError("READ_ONLY_VIOLATION", "INTO OUTFILE is not allowed in read-only mode");
    }
  }
}
