import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export const CALL_TIMEOUT_MS = 30_000;

export type Transport = "http" | "sse";

/** The SDK's own client, as an agent would use it; tools/list is never called, so no output validation runs. */
export async function connectClient(url: string, transport: Transport): Promise<Client> {
  const client = new Client({ name: "bench", version: "0.0.0" });
  const target = new URL(url);
  await client.connect(
    transport === "http" ? new StreamableHTTPClientTransport(target) : new SSEClientTransport(target),
    { timeout: CALL_TIMEOUT_MS },
  );
  return client;
}

export interface ToolAnswer {
  text: string;
  structured?: Record<string, unknown>;
}

/** Calls execute_query and fails on a tool error, so an error is never counted as a fast answer. */
export async function executeQuery(client: Client, query: string): Promise<ToolAnswer> {
  const result = await client.callTool({ name: "execute_query", arguments: { query } }, undefined, {
    timeout: CALL_TIMEOUT_MS,
  });
  const first = (result.content as { type: string; text?: string }[] | undefined)?.[0];
  const text = first?.type === "text" ? (first.text ?? "") : "";
  if (result.isError) throw new Error(`tool error: ${text.slice(0, 300)}`);
  const structured = result.structuredContent as Record<string, unknown> | undefined;
  return structured ? { text, structured } : { text };
}

/** The rows of an answer: our server's structured content, or the thin server's JSON text. */
export function answerRows(answer: ToolAnswer): unknown[] {
  const rows = answer.structured?.rows ?? JSON.parse(answer.text);
  if (!Array.isArray(rows)) throw new Error("the answer carries no rows");
  return rows;
}
