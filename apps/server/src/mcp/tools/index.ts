import type { EffectiveLimits } from "../effective-limits.js";
import type { AnyToolDefinition } from "../tool-definition.js";
import { describeTableTool } from "./describe-table.js";
import { executeQueryTool } from "./execute-query.js";
import { listDatabasesTool } from "./list-databases.js";
import { listTablesTool } from "./list-tables.js";
import { searchSchemaTool } from "./search-schema.js";
import { writeQueryTool } from "./write-query.js";

/** The built-in tools of a connection with these limits: `write_query` only where writes are allowed. */
export function builtInTools(limits: EffectiveLimits): AnyToolDefinition[] {
  return [
    executeQueryTool(limits),
    ...(limits.readOnly ? [] : [writeQueryTool(limits)]),
    listDatabasesTool(),
    listTablesTool(),
    describeTableTool(),
    searchSchemaTool(),
  ];
}
