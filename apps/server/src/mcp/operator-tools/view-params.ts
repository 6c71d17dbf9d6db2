// The `{name:Type}` parameters of a view, read from its SQL when ClickHouse does not list them
// (versions before system.tables.parameterized_view_parameters), and used to put ClickHouse's
// list in the order the view's text names them.

export interface ViewParameter {
  name: string;
  type: string;
}

export type ViewParametersResult = { ok: true; parameters: ViewParameter[] } | { ok: false; reason: string };

const PLACEHOLDER_HEAD = /^\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*/;

/** Index just past a quoted string or identifier starting at `i` (backslash escapes, doubled quotes). */
function skipQuoted(sql: string, i: number): number {
  const quote = sql[i];
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (c === "\\") j += 2;
    else if (c === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else j += 1;
  }
  return sql.length;
}

/** The type text of a placeholder from `start` up to its closing brace, or undefined. */
function readType(sql: string, start: number): { type: string; end: number } | undefined {
  let depth = 0;
  let j = start;
  while (j < sql.length) {
    const c = sql[j];
    if (c === "'" || c === '"' || c === "`") {
      j = skipQuoted(sql, j);
      continue;
    }
    if (c === "(") depth += 1;
    else if (c === ")") depth -= 1;
    else if (c === "}" && depth === 0) {
      const type = sql.slice(start, j).trim();
      return type ? { type, end: j + 1 } : undefined;
    } else if (c === "{" || c === ";" || depth < 0) return undefined;
    j += 1;
  }
  return undefined;
}

/**
 * The placeholders of a SELECT, in the order first named; outside string literals, quoted
 * identifiers and comments. A name used twice with two types is refused.
 */
export function parseViewParameters(sql: string): ViewParametersResult {
  const found = new Map<string, string>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`") {
      i = skipQuoted(sql, i);
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "{") {
      const head = PLACEHOLDER_HEAD.exec(sql.slice(i, i + 300));
      const read = head ? readType(sql, i + head[0].length) : undefined;
      if (!head || !read) {
        i += 1;
        continue;
      }
      const name = head[1]!;
      const type = read.type;
      const earlier = found.get(name);
      if (earlier !== undefined && normalizeType(earlier) !== normalizeType(type)) {
        return { ok: false, reason: `the parameter ${name} is named with two types (${earlier}, ${type})` };
      }
      found.set(name, type);
      i = read.end;
    } else {
      i += 1;
    }
  }
  return { ok: true, parameters: [...found].map(([name, type]) => ({ name, type })) };
}

/** Spaces as ClickHouse prints them, so `Decimal(10, 2)` and `Decimal(10,2)` compare equal. */
function normalizeType(type: string): string {
  let out = "";
  for (let i = 0; i < type.length; ) {
    const c = type[i]!;
    if (c === "'") {
      const end = skipQuoted(type, i);
      out += type.slice(i, end);
      i = end;
    } else if (/\s/.test(c)) {
      i += 1;
      // Keep one space between words (`Tuple(a String)`), none elsewhere.
      if (/[A-Za-z0-9_]$/.test(out) && /[A-Za-z0-9_`"]/.test(type[i] ?? "")) out += " ";
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * The view's parameters: ClickHouse's own list when it gave one (in the order the view's text
 * names them), otherwise read from the text.
 */
export function viewParameters(
  asSelect: string,
  fromClickHouse: readonly ViewParameter[] | undefined,
): ViewParametersResult {
  const parsed = parseViewParameters(asSelect);
  if (fromClickHouse === undefined) return parsed;
  const order = parsed.ok ? parsed.parameters.map((p) => p.name) : [];
  const rank = (name: string) => {
    const index = order.indexOf(name);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  };
  const parameters = [...fromClickHouse].sort(
    (a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1),
  );
  return { ok: true, parameters };
}
