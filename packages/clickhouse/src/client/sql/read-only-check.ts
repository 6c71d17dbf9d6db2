import { DatabaseError } from "../../errors/database-error.js";
import { lex, type Token } from "./lexer.js";
import {
  ALLOWED_TABLE_FUNCTIONS,
  CLIENT_CONTROLLED_SETTINGS,
  DENIED_FUNCTIONS,
  lower,
  READ_ONLY_TABLE_FUNCTIONS,
} from "./table-functions.js";

// The table-function and SETTINGS guard of read-only queries (the rules are described in
// table-functions.ts), on the lexer's tokens, before anything is sent.

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
  /** Views that may be called with arguments (parameterized views), by unquoted database and name. */
  callableViews?: readonly { database: string; name: string }[];
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
    if (ALLOWED_TABLE_FUNCTIONS.has(lower(name))) return;
    const [database, view] = parts;
    const callable =
      parts.length === 2 && options.callableViews?.some((v) => v.database === database && v.name === view);
    if (!callable) refuseFunction(name, true);
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
