import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

// The SDK's McpError puts "MCP error <code>: " in front of its message, sends that message as the
// JSON-RPC error message, and the client's McpError puts the prefix in front again. The code is
// already a field of the error object: the message on the wire is the text alone.
const SDK_PREFIX = /^(?:MCP error -?\d+: )+/;

/** The message as it should go on the wire: a JSON-RPC error's text without the SDK's code prefix. */
export function withoutErrorPrefix(message: JSONRPCMessage): JSONRPCMessage {
  if (!("error" in message) || typeof message.error?.message !== "string") return message;
  if (!SDK_PREFIX.test(message.error.message)) return message;
  return { ...message, error: { ...message.error, message: message.error.message.replace(SDK_PREFIX, "") } };
}
