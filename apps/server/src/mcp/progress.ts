import type { QueryProgress } from "@mcp/clickhouse";
import type { ServerContext } from "@modelcontextprotocol/server";
import { formatBytes } from "./result-text.js";

/**
 * `notifications/progress` for a call that asked for it (a progress token in its `_meta`), from
 * ClickHouse's own progress: rows read as the progress, the estimated rows to read as the total
 * when ClickHouse knows it. None for a call that did not ask, so nothing extra runs for it.
 * Progress must increase with every notification, so a report that adds no rows is skipped.
 */
export function progressReporter(request: ServerContext): ((progress: QueryProgress) => void) | undefined {
  const progressToken = request.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let last = 0;
  return (progress) => {
    if (progress.rowsRead <= last) return;
    last = progress.rowsRead;
    const total = progress.totalRowsToRead;
    request.mcpReq
      .notify({
        method: "notifications/progress",
        params: {
          progressToken,
          progress: progress.rowsRead,
          ...(total !== undefined && total >= progress.rowsRead && { total }),
          message: `ClickHouse has read ${progress.rowsRead}${total ? ` of ~${total}` : ""} rows (${formatBytes(progress.bytesRead)}) in ${Math.round(progress.elapsedMs)} ms`,
        },
      })
      // Best effort: a client gone or a stream closed ends the call through its signal anyway.
      .catch(() => {});
  };
}
