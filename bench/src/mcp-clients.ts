import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport as TransportV1 } from "@modelcontextprotocol/sdk/shared/transport.js";

export const CALL_TIMEOUT_MS = 30_000;

/**
 * How the bench reaches a server:
 * - `http`: Streamable HTTP with the v2 client (`@modelcontextprotocol/client`) negotiating as
 *   modern clients do (`versionNegotiation: { mode: 'auto' }`): `server/discover` with 2026-07-28
 *   first, the 2025 `initialize` handshake when the server does not speak it;
 * - `http-2025`: Streamable HTTP with the v1 client (`@modelcontextprotocol/sdk`), the 2025
 *   `initialize` handshake only, as agents built on the v1 SDK connect;
 * - `sse`: legacy HTTP+SSE with the v1 client.
 */
export type ClientKind = "http" | "http-2025" | "sse";

/** One connected MCP client, whichever SDK line it comes from. */
export interface McpClient {
  /** The protocol revision the connection negotiated, e.g. `2026-07-28` or `2025-11-25`. */
  readonly protocolVersion: string;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  close(): Promise<void>;
}

/** The parts of a `tools/call` result the bench reads (the v1 client's result type is wider). */
interface ToolResult {
  [key: string]: unknown;
  content?: unknown;
  structuredContent?: unknown;
  isError?: unknown;
}

/** The SDK's own clients, as an agent would use them; tools/list is never called, so no output validation runs. */
export async function connectClient(url: string, kind: ClientKind): Promise<McpClient> {
  const target = new URL(url);
  return kind === "http"
    ? connectV2(target)
    : connectV1(
        kind === "sse" ? new SSEClientTransport(target) : new StreamableHTTPClientTransportV1(target),
      );
}

async function connectV2(url: URL): Promise<McpClient> {
  const client = new Client({ name: "bench", version: "0.0.0" }, { versionNegotiation: { mode: "auto" } });
  await client.connect(new StreamableHTTPClientTransport(url), { timeout: CALL_TIMEOUT_MS });
  return {
    protocolVersion: client.getNegotiatedProtocolVersion() ?? "unknown",
    callTool: (name, args) => client.callTool({ name, arguments: args }, { timeout: CALL_TIMEOUT_MS }),
    close: () => client.close(),
  };
}

async function connectV1(transport: TransportV1): Promise<McpClient> {
  // The v1 client keeps the version the server answered to `initialize` to itself; it hands it to
  // the transport, so read it there.
  let protocolVersion = "unknown";
  const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version) => {
    protocolVersion = version;
    setProtocolVersion?.(version);
  };
  const client = new ClientV1({ name: "bench", version: "0.0.0" });
  await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
  return {
    protocolVersion,
    callTool: (name, args) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS }),
    close: () => client.close(),
  };
}

export interface ToolAnswer {
  text: string;
  structured?: Record<string, unknown>;
}

/** Calls execute_query and fails on a tool error, so an error is never counted as a fast answer. */
export async function executeQuery(client: McpClient, query: string): Promise<ToolAnswer> {
  const result = await client.callTool("execute_query", { query });
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
