import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { withoutErrorPrefix } from "./wire-errors.js";

describe("withoutErrorPrefix", () => {
  it("sends an McpError's text without the SDK's code prefix, once or repeated", () => {
    const error = new McpError(-32603, "Error UNKNOWN_TABLE: no such table");
    expect(error.message).toBe("MCP error -32603: Error UNKNOWN_TABLE: no such table");
    for (const text of [error.message, `MCP error -32603: ${error.message}`]) {
      expect(withoutErrorPrefix({ jsonrpc: "2.0", id: 1, error: { code: -32603, message: text } })).toEqual({
        jsonrpc: "2.0",
        id: 1,
        error: { code: -32603, message: "Error UNKNOWN_TABLE: no such table" },
      });
    }
  });

  it("leaves results, requests and unprefixed errors alone", () => {
    const result = { jsonrpc: "2.0" as const, id: 1, result: { content: [] } };
    expect(withoutErrorPrefix(result)).toBe(result);
    const plain = { jsonrpc: "2.0" as const, id: 2, error: { code: -32601, message: "Method not found" } };
    expect(withoutErrorPrefix(plain)).toBe(plain);
  });
});
