import { describe, expect, it } from "vitest";
import { EmbeddedClickHouseMissingError, loadEmbeddedClickHouse } from "./embedded-clickhouse.js";

describe("loadEmbeddedClickHouse", () => {
  it("loads the embedded engine's package on demand", async () => {
    const embedded = await loadEmbeddedClickHouse();
    expect(typeof embedded.start).toBe("function");
    expect(embedded.DEMO_DATABASE).toBe("demo");
  });

  it("says what to do when the package is not installed", async () => {
    const missing = Object.assign(new Error("Cannot find package '@mcp/embedded-clickhouse'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const loading = loadEmbeddedClickHouse(() => Promise.reject(missing));
    await expect(loading).rejects.toBeInstanceOf(EmbeddedClickHouseMissingError);
    await expect(loading).rejects.toThrow(/@mcp\/embedded-clickhouse is not installed.*--clickhouse-host=/);
  });

  it("passes any other failure through", async () => {
    const broken = new Error("boom");
    await expect(loadEmbeddedClickHouse(() => Promise.reject(broken))).rejects.toBe(broken);
  });
});
