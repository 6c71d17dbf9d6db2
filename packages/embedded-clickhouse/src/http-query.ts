import { EmbeddedClickHouseError } from "./errors.js";

export interface QueryTarget {
  url: string;
  username: string;
  password: string;
}

/** Runs one statement over ClickHouse's HTTP interface and returns the response body. */
export async function httpQuery(target: QueryTarget, sql: string, timeoutMs = 30_000): Promise<string> {
  const credentials = Buffer.from(`${target.username}:${target.password}`).toString("base64");
  const response = await fetch(`${target.url.replace(/\/$/, "")}/`, {
    method: "POST",
    // An idle keep-alive connection would delay the engine's shutdown by seconds.
    headers: { authorization: `Basic ${credentials}`, connection: "close" },
    body: sql,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await response.text();
  if (!response.ok) {
    // ClickHouse's error text names the user but never echoes the password.
    throw new EmbeddedClickHouseError(
      "QUERY_FAILED",
      `ClickHouse answered ${response.status}: ${body.trim()}`,
    );
  }
  return body;
}
