import type { ColumnOfTable, PooledClient, ViewInfo, WritableTableInfo } from "@mcp/clickhouse";
import { mapClickHouseType } from "./clickhouse-types.js";
import { clip, parseToolComment, type ToolComment } from "./comment.js";
import type { ToolRule } from "./config.js";
import { toolName, uniqueNames } from "./names.js";
import { viewParameters } from "./view-params.js";

// One discovery pass for one connection: the views its user can see that a read rule matches,
// the tables a write rule matches (with their columns), each turned into a tool's specification:
// plain data (names, texts, ClickHouse types), so that two passes compare as JSON and a change
// can be told. What cannot be mapped is skipped with a reason; nothing here throws for one view.

export interface ParamSpec {
  /** The view's parameter or the table's column, exactly as ClickHouse names it. */
  name: string;
  /** Its ClickHouse type. */
  type: string;
  description: string;
  required: boolean;
}

export interface ReadToolSpec {
  kind: "read";
  name: string;
  title: string;
  description: string;
  database: string;
  view: string;
  params: ParamSpec[];
  openWorldHint: boolean;
}

export interface InsertToolSpec {
  kind: "insert";
  name: string;
  title: string;
  description: string;
  database: string;
  table: string;
  columns: ParamSpec[];
}

export type ToolSpec = ReadToolSpec | InsertToolSpec;

export interface DiscoveryNote {
  /** `database.object` (or `database.table.column`). */
  object: string;
  /** Why it was skipped, left out or renamed. */
  reason: string;
}

export interface Discovery {
  tools: ToolSpec[];
  /** Views and tables (or columns) left out, and tools renamed, with the reason. */
  notes: DiscoveryNote[];
}

export interface DiscoverOptions {
  rules: readonly ToolRule[];
  /** Look for insert tools (no write rule applies on a server that is read-only). */
  tables: boolean;
  /** Names tools may not take: the built-in tools'. */
  reserved: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** "analytics_user_sessions" → "Analytics User Sessions", as the reference titles tools. */
function humanize(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase())
    .join(" ");
}

/** The first rule matching `database.name`; later matches are noted as overlaps. */
function matchRule(
  rules: readonly ToolRule[],
  qualified: string,
  notes: DiscoveryNote[],
): ToolRule | undefined {
  const matching = rules.filter((rule) => rule.pattern.test(qualified));
  if (matching.length > 1) {
    notes.push({
      object: qualified,
      reason: `matched by ${matching.map((r) => r.key).join(" and ")}: the first (${matching[0]!.key}) applies`,
    });
  }
  return matching[0];
}

function description(comment: ToolComment, fallback: string): string {
  return clip(comment.description ?? fallback);
}

function readSpec(view: ViewInfo, rule: ToolRule, notes: DiscoveryNote[]): ReadToolSpec | undefined {
  const qualified = `${view.database}.${view.name}`;
  const found = viewParameters(view.asSelect || view.createTableQuery, view.parameters);
  if (!found.ok) {
    notes.push({ object: qualified, reason: found.reason });
    return undefined;
  }
  const comment = parseToolComment(view.comment);
  const params: ParamSpec[] = [];
  for (const parameter of found.parameters) {
    const mapped = mapClickHouseType(parameter.type);
    if (!mapped.ok) {
      notes.push({ object: qualified, reason: `parameter ${parameter.name}: ${mapped.reason}` });
      return undefined;
    }
    params.push({
      name: parameter.name,
      type: parameter.type,
      description: clip(comment.params[parameter.name] ?? parameter.name, 500),
      required: true,
    });
  }
  const name = toolName(rule.prefix, view.database, view.name, rule.name);
  return {
    kind: "read",
    name,
    title: clip(comment.title ?? humanize(name), 200),
    description: description(comment, `Reads the ClickHouse view ${qualified}.`),
    database: view.database,
    view: view.name,
    params,
    openWorldHint: comment.openWorldHint ?? false,
  };
}

function insertSpec(
  table: WritableTableInfo,
  columns: readonly ColumnOfTable[],
  rule: ToolRule,
  notes: DiscoveryNote[],
): InsertToolSpec | undefined {
  const qualified = `${table.database}.${table.name}`;
  const comment = parseToolComment(table.comment);
  const params: ParamSpec[] = [];
  for (const column of columns) {
    // Computed by ClickHouse: a client never gives them.
    if (column.defaultKind === "MATERIALIZED" || column.defaultKind === "ALIAS") continue;
    const mapped = mapClickHouseType(column.type);
    if (!mapped.ok) {
      // Left out, as the reference does: ClickHouse fills the column's default.
      notes.push({ object: `${qualified}.${column.name}`, reason: `column left out: ${mapped.reason}` });
      continue;
    }
    params.push({
      name: column.name,
      type: column.type,
      description: clip(comment.params[column.name] ?? (column.comment || column.name), 500),
      required: column.defaultKind === "" && !mapped.mapping.nullable,
    });
  }
  if (params.length === 0) {
    notes.push({ object: qualified, reason: "no column can be given" });
    return undefined;
  }
  const name = toolName(rule.prefix, table.database, table.name, rule.name);
  return {
    kind: "insert",
    name,
    title: clip(comment.title ?? humanize(name), 200),
    description: description(comment, `Inserts one row into the ClickHouse table ${qualified}.`),
    database: table.database,
    table: table.name,
    columns: params,
  };
}

const byQualifiedName = (a: { database: string; name: string }, b: { database: string; name: string }) =>
  a.database === b.database
    ? a.name < b.name
      ? -1
      : a.name > b.name
        ? 1
        : 0
    : a.database < b.database
      ? -1
      : 1;

/** One discovery pass on a pooled client of the connection. */
export async function discover(client: PooledClient, options: DiscoverOptions): Promise<Discovery> {
  const { signal } = options;
  const notes: DiscoveryNote[] = [];
  const readRules = options.rules.filter((r) => r.type === "read");
  const writeRules = options.tables ? options.rules.filter((r) => r.type === "write") : [];
  const specs: ToolSpec[] = [];

  if (readRules.length > 0) {
    const views = (await client.listViews({ ...(signal && { signal }) })).sort(byQualifiedName);
    for (const view of views) {
      const rule = matchRule(readRules, `${view.database}.${view.name}`, notes);
      const spec = rule && readSpec(view, rule, notes);
      if (spec) specs.push(spec);
    }
  }

  if (writeRules.length > 0) {
    const tables = (await client.listWritableTables({ ...(signal && { signal }) })).sort(byQualifiedName);
    const matched = tables.flatMap((table) => {
      const rule = matchRule(writeRules, `${table.database}.${table.name}`, notes);
      return rule ? [{ table, rule }] : [];
    });
    const columns = await client.listColumnsOf(
      matched.map(({ table }) => ({ database: table.database, name: table.name })),
      { ...(signal && { signal }) },
    );
    for (const { table, rule } of matched) {
      const own = columns.filter((c) => c.database === table.database && c.table === table.name);
      const spec = insertSpec(table, own, rule, notes);
      if (spec) specs.push(spec);
    }
  }

  const tools = uniqueNames(specs, options.reserved, (spec, from, to) => {
    const object = spec.kind === "read" ? `${spec.database}.${spec.view}` : `${spec.database}.${spec.table}`;
    notes.push({ object, reason: `named ${to}: ${from} is taken` });
  });
  return { tools, notes };
}
