import type { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import type { ProgressTotals } from "../driver.js";

// A running query's totals as system.processes shows them, for the HTTP driver. ClickHouse's
// own progress over HTTP does not help there: X-ClickHouse-Progress headers are part of the
// response head, which Node hands over only once the body starts (for an aggregate, at the
// end), and the *WithProgress formats stream progress while the query runs only on recent
// servers (25.x). Any server can answer this, on another connection of the pool.

// No settings: users whose profile has readonly=1 may not be sent any. Only the caller's own
// query: another user's query may run under the same id.
const PROGRESS_SQL = `SELECT read_rows, read_bytes, total_rows_approx
FROM system.processes
WHERE query_id = {id:String} AND user = currentUser()
LIMIT 1
FORMAT JSONCompactEachRow`;

// One short line; a server that sends more is not answering this query.
const MAX_ANSWER_BYTES = 4 * 1024;

/**
 * The totals of query `queryId`, or undefined when it is not running. The poll runs under the id
 * `<queryId>-progress-<poll>`, which ties it to the query it watched in the server's logs.
 */
export async function readProcessProgress(
  client: ClickHouseClient,
  queryId: string,
  poll: number,
  signal: AbortSignal,
): Promise<ProgressTotals | undefined> {
  const response = await client.exec({
    query: PROGRESS_SQL,
    query_id: `${queryId}-progress-${poll}`,
    query_params: { id: queryId },
    abort_signal: signal,
  });
  const line = (await readAtMost(response.stream as Readable, MAX_ANSWER_BYTES)).split("\n")[0] ?? "";
  return line === "" ? undefined : parseTotals(line);
}

async function readAtMost(stream: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    // Leaving the loop destroys the response.
    if (size > maxBytes) throw new Error("The progress answer is larger than expected");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `[read_rows, read_bytes, total_rows_approx]`; UInt64 arrive quoted or not, by server version. */
function parseTotals(line: string): ProgressTotals {
  const values: unknown = JSON.parse(line);
  if (!Array.isArray(values) || values.length !== 3) throw new Error("Unexpected progress answer");
  const [rowsRead, bytesRead, totalRowsToRead] = values.map(toCount);
  if (rowsRead === undefined || bytesRead === undefined || totalRowsToRead === undefined) {
    throw new Error("Unexpected progress answer");
  }
  return { rowsRead, bytesRead, totalRowsToRead };
}

function toCount(value: unknown): number | undefined {
  const count = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof count === "number" && Number.isInteger(count) && count >= 0 ? count : undefined;
}
