import type { PooledClient, QueryProgress } from "@mcp/clickhouse";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";

/** What a tool body gets besides its pooled client and arguments. */
export interface ToolCall {
  /** Aborts when the caller cancels or goes away, or the server's context aborts. */
  signal: AbortSignal;
  /** Called with ClickHouse's progress; set only when the caller asked for progress. */
  onProgress?: (progress: QueryProgress) => void;
}

/**
 * One tool, independent of how it is reached (MCP today; any other surface takes the same
 * definitions): its name, documentation, schemas, annotations, and the body that runs on a pooled
 * client. The body returns the full result (structured content and the model's text); errors it
 * throws are mapped by the runner.
 */
export interface ToolDefinition<In extends z.ZodObject = z.ZodObject, Out extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: In;
  outputSchema: Out;
  annotations: ToolAnnotations;
  run(client: PooledClient, args: z.output<In>, call: ToolCall): Promise<CallToolResult>;
}

/**
 * A definition of any schemas, as lists of tools hold them: its arguments are whatever its own
 * schema accepted (the caller validates them against `inputSchema` first).
 */
export type AnyToolDefinition = Omit<ToolDefinition, "run"> & {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  run(client: PooledClient, args: any, call: ToolCall): Promise<CallToolResult>;
};

/** Checks a definition against its own schemas, then forgets them for lists of tools. */
export function defineTool<In extends z.ZodObject, Out extends z.ZodObject>(
  definition: ToolDefinition<In, Out>,
): AnyToolDefinition {
  return definition as unknown as AnyToolDefinition;
}

/** A tool result: `value` as structured content, and `text` (see result-text.ts) for the model. */
export function structured<T extends Record<string, unknown>>(value: T, text: string): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: value };
}
