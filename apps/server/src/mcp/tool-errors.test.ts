import { DatabaseError } from "@mcp/clickhouse";
import { describe, expect, it } from "vitest";
import { boundMessage, toolErrorResult } from "./tool-errors.js";

describe("tool errors", () => {
  it("keep the code, ClickHouse code and type, and a bounded message", () => {
    const error = new DatabaseError("QUERY_FAILED", `Table x doesn't exist. ${"y".repeat(5000)}`, {
      clickhouseCode: 60,
      clickhouseType: "UNKNOWN_TABLE",
    });
    const { result, outcome, log } = toolErrorResult(error);
    expect(result.isError).toBe(true);
    const text = (result.content[0] as { text: string }).text;
    expect(text.startsWith("Error QUERY_FAILED (ClickHouse 60 UNKNOWN_TABLE): Table x doesn't exist.")).toBe(
      true,
    );
    expect(text.length).toBeLessThan(1100);
    expect(outcome).toBe("error");
    expect(log).toEqual({ code: "QUERY_FAILED", clickhouseCode: 60, clickhouseType: "UNKNOWN_TABLE" });
  });

  it("hide the message of unexpected errors", () => {
    const { result, log } = toolErrorResult(new Error("password=hunter2 at /secret/path"));
    expect((result.content[0] as { text: string }).text).not.toContain("hunter2");
    expect(log.code).toBe("INTERNAL");
  });

  it("report cancellation as its own outcome", () => {
    const controller = new AbortController();
    controller.abort();
    expect(toolErrorResult(new DatabaseError("QUERY_CANCELLED", "The query was cancelled")).outcome).toBe(
      "cancelled",
    );
    expect(toolErrorResult(new Error("aborted"), controller.signal).outcome).toBe("cancelled");
  });

  it("bound messages on a character budget", () => {
    expect(boundMessage("a\n  b")).toBe("a b");
    expect(boundMessage("x".repeat(20), 10)).toHaveLength(10);
  });
});
