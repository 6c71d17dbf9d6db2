import { z } from "zod";
import type { EffectiveLimits } from "../effective-limits.js";
import { statisticsLine } from "../result-text.js";
import { statisticsShape } from "../schemas.js";
import { defineTool, structured } from "../tool-definition.js";
import { queryOptions } from "../tool-runner.js";

const writeOutput = z.object({ queryId: z.string(), statistics: statisticsShape });

/** `write_query`: one statement that changes data or schema. Registered only on a read-write connection. */
export function writeQueryTool(limits: EffectiveLimits) {
  return defineTool({
    name: "write_query",
    title: "Run a SQL statement that changes data or schema",
    description:
      "Runs one ClickHouse SQL statement that writes (INSERT, CREATE, ALTER, DROP, TRUNCATE, …). " +
      "Use execute_query for reads.",
    inputSchema: z.object({ query: z.string().min(1).describe("One SQL statement") }).strict(),
    outputSchema: writeOutput,
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: false,
    },
    async run(client, { query }, call) {
      const result = await client.executeQuery(query, { readOnly: false, ...queryOptions(limits, call) });
      return structured(
        { queryId: result.queryId, statistics: result.statistics },
        `The statement ran. ${statisticsLine(result.statistics)} Query id ${result.queryId}.`,
      );
    },
  });
}
