import { DatabaseError, type QueryResult } from "@mcp/clickhouse";
import { z } from "zod";
import type { EffectiveLimits } from "../effective-limits.js";
import { plural, rowsAsTsv, statisticsLine } from "../result-text.js";
import { columnShape, READ_ONLY_TOOL, statisticsShape, truncatedShape } from "../schemas.js";
import { type AnyToolDefinition, defineTool, structured } from "../tool-definition.js";
import { queryOptions } from "../tool-runner.js";
import { type BoundValue, mapClickHouseType, type TypeMapping } from "./clickhouse-types.js";
import type { InsertToolSpec, ParamSpec, ReadToolSpec, ToolSpec } from "./discovery.js";

// Discovered specifications as tool definitions, for one connection's limits: a read tool runs
// `SELECT * FROM db.view(name = {name:Type}, …)` and an insert tool
// `INSERT INTO db.table (col, …) VALUES ({p0:Type}, …)`, the values always bound as ClickHouse
// query parameters (never written into the SQL), through the same runner, caps, read-only guard,
// deadline and progress as execute_query and write_query.

/** A name in backquotes, as ClickHouse reads a quoted identifier. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

const readOutput = z.object({
  queryId: z.string(),
  columns: z.array(columnShape),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: truncatedShape.optional(),
  statistics: statisticsShape,
});

const insertOutput = z.object({ queryId: z.string(), statistics: statisticsShape });

interface MappedParam extends ParamSpec {
  mapping: TypeMapping;
}

/** Discovery checked every type; a type that stopped mapping since is a bug, not a user error. */
function mapped(params: readonly ParamSpec[]): MappedParam[] {
  return params.map((param) => {
    const result = mapClickHouseType(param.type);
    if (!result.ok) throw new Error(`operator tool parameter ${param.name}: ${result.reason}`);
    return { ...param, mapping: result.mapping };
  });
}

function describeParam(param: MappedParam): string {
  return param.description === param.name
    ? param.mapping.hint
    : `${param.description} (${param.mapping.hint})`;
}

function resultText(result: QueryResult): string {
  const columns = result.columns.map((c) => `${c.name} ${c.type}`).join(", ");
  const lines = [
    `${plural(result.rowCount, "row")}${result.truncated ? " (partial)" : ""}; columns: ${columns}`,
    rowsAsTsv(result.columns, result.rows),
    `${statisticsLine(result.statistics)} Query id ${result.queryId}.`,
  ];
  if (result.truncated) {
    const cap =
      result.truncated.reason === "rows"
        ? `${result.truncated.limit} rows`
        : `${result.truncated.limit} bytes`;
    lines.push(
      `Note: the result is partial. It stopped at the server's cap of ${cap}; more rows exist. ` +
        "Narrow the parameters, or use execute_query with a filter or an aggregate on the view.",
    );
  }
  return lines.join("\n");
}

function readTool(spec: ReadToolSpec, limits: EffectiveLimits): AnyToolDefinition {
  const params = mapped(spec.params);
  const shape = Object.fromEntries(params.map((p) => [p.name, p.mapping.schema.describe(describeParam(p))]));
  const target = `${quoteIdentifier(spec.database)}.${quoteIdentifier(spec.view)}`;
  // View parameters are identifiers ([A-Za-z_][A-Za-z0-9_]*): their own names serve as placeholders.
  const sql =
    params.length === 0
      ? `SELECT * FROM ${target}`
      : `SELECT * FROM ${target}(${params.map((p) => `${p.name} = {${p.name}:${p.type}}`).join(", ")})`;
  const cap = limits.maxRows !== undefined ? ` At most ${limits.maxRows} rows are returned.` : "";
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: `${spec.description}${cap}`,
    inputSchema: z.object(shape).strict(),
    outputSchema: readOutput,
    annotations: { ...READ_ONLY_TOOL, openWorldHint: spec.openWorldHint },
    async run(client, args: Record<string, unknown>, call) {
      const bound: Record<string, BoundValue> = {};
      for (const p of params) bound[p.name] = p.mapping.bind(args[p.name]);
      const result = await client.executeQuery(sql, {
        readOnly: true,
        ...queryOptions(limits, call),
        params: bound,
        callableViews: [{ database: spec.database, name: spec.view }],
      });
      const value = {
        queryId: result.queryId,
        columns: result.columns,
        rows: result.rows,
        rowCount: result.rowCount,
        ...(result.truncated && { truncated: result.truncated }),
        statistics: result.statistics,
      };
      return structured(value, resultText(result));
    },
  });
}

function insertTool(spec: InsertToolSpec, limits: EffectiveLimits): AnyToolDefinition {
  const columns = mapped(spec.columns);
  const shape = Object.fromEntries(
    columns.map((c) => {
      const described = describeParam(c);
      if (c.required) return [c.name, c.mapping.schema.describe(described)];
      // Optional: strict-mode clients send every property, null for "not given", so null is
      // accepted; for a Nullable column it is the value NULL, otherwise the column's default.
      const note = c.mapping.nullable ? "" : "; leave out (or null) for the column's default";
      return [c.name, c.mapping.schema.nullable().optional().describe(`${described}${note}`)];
    }),
  );
  const target = `${quoteIdentifier(spec.database)}.${quoteIdentifier(spec.table)}`;
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: `${spec.description} One row per call; columns with a default may be left out.`,
    inputSchema: z.object(shape).strict(),
    outputSchema: insertOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(client, args: Record<string, unknown>, call) {
      // The list is built for write-capable connections only; a narrower limit must still hold.
      if (limits.readOnly) {
        throw new DatabaseError(
          "READ_ONLY_VIOLATION",
          "This connection is read-only: inserts are not allowed",
        );
      }
      const given = columns.filter((c) => {
        const value = args[c.name];
        return value !== undefined && (value !== null || c.mapping.nullable);
      });
      if (given.length === 0) {
        throw new DatabaseError("INVALID_ARGUMENT", "Give a value for at least one column");
      }
      const params: Record<string, BoundValue> = {};
      given.forEach((c, i) => {
        params[`p${i}`] = c.mapping.bind(args[c.name]);
      });
      const sql =
        `INSERT INTO ${target} (${given.map((c) => quoteIdentifier(c.name)).join(", ")}) ` +
        `VALUES (${given.map((c, i) => `{p${i}:${c.type}}`).join(", ")})`;
      const result = await client.executeQuery(sql, {
        readOnly: false,
        ...queryOptions(limits, call),
        params,
      });
      return structured(
        { queryId: result.queryId, statistics: result.statistics },
        `Inserted 1 row into ${spec.database}.${spec.table}. Query id ${result.queryId}.`,
      );
    },
  });
}

/** The tool definitions of discovered specifications under these limits: no insert tool on a read-only connection. */
export function operatorToolDefinitions(
  specs: readonly ToolSpec[],
  limits: EffectiveLimits,
): AnyToolDefinition[] {
  return specs.flatMap((spec) => {
    if (spec.kind === "read") return [readTool(spec, limits)];
    return limits.readOnly ? [] : [insertTool(spec, limits)];
  });
}
