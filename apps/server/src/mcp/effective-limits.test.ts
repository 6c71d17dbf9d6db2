import { describe, expect, it } from "vitest";
import type { LimitsConfig } from "../config/server-config.js";
import { effectiveLimits } from "./effective-limits.js";

const server: LimitsConfig = {
  readOnly: false,
  maxExecutionTime: 600,
  maxResultRows: 500,
  maxResultBytes: 16 * 1024 * 1024,
  maxMemoryUsage: 1024 * 1024 * 1024,
  maxQueryLength: 100_000,
  maxRowsToRead: 0,
  maxBytesToRead: 0,
};
const exp = 2_000_000_000;

describe("effectiveLimits", () => {
  it("is the server's limits without claims", () => {
    expect(effectiveLimits(server)).toEqual({
      readOnly: false,
      maxRows: 500,
      maxBytes: 16 * 1024 * 1024,
      maxExecutionTime: 600,
      maxMemoryUsage: 1024 * 1024 * 1024,
      maxQueryLength: 100_000,
    });
  });

  it("lets claims tighten rows, time and read-only", () => {
    expect(effectiveLimits(server, { exp, limit: 10, max_execution_time: 5, read_only: true })).toMatchObject(
      {
        readOnly: true,
        maxRows: 10,
        maxExecutionTime: 5,
      },
    );
  });

  it("never lets claims loosen them", () => {
    expect(
      effectiveLimits(
        { ...server, readOnly: true },
        { exp, limit: 10_000, max_execution_time: 3600, read_only: false },
      ),
    ).toMatchObject({ readOnly: true, maxRows: 500, maxExecutionTime: 600 });
  });

  it("applies a claim where the server has no cap (0 in the config, absent in the limits)", () => {
    expect(
      effectiveLimits(
        { ...server, maxResultRows: 0, maxExecutionTime: 0 },
        { exp, limit: 42, max_execution_time: 7 },
      ),
    ).toMatchObject({ maxRows: 42, maxExecutionTime: 7 });
    // No cap is an absent field (the config's 0 turned into the pool's representation).
    expect(effectiveLimits({ ...server, maxResultRows: 0 })).not.toHaveProperty("maxRows");
  });

  it("lets the read budget claims only tighten the server's budget, or set one where it has none", () => {
    const budgeted = { ...server, maxRowsToRead: 1_000_000, maxBytesToRead: 10_000_000_000 };
    expect(effectiveLimits(budgeted)).toMatchObject({
      maxRowsToRead: 1_000_000,
      maxBytesToRead: 10_000_000_000,
    });
    expect(effectiveLimits(budgeted, { exp, max_rows_to_read: 1000, max_bytes_to_read: 5000 })).toMatchObject(
      {
        maxRowsToRead: 1000,
        maxBytesToRead: 5000,
      },
    );
    expect(
      effectiveLimits(budgeted, { exp, max_rows_to_read: 5_000_000, max_bytes_to_read: 20_000_000_000 }),
    ).toMatchObject({ maxRowsToRead: 1_000_000, maxBytesToRead: 10_000_000_000 });
    expect(effectiveLimits(server, { exp, max_rows_to_read: 1000 })).toMatchObject({ maxRowsToRead: 1000 });
    // No budget on either side: no field.
    const none = effectiveLimits(server, { exp });
    expect(none).not.toHaveProperty("maxRowsToRead");
    expect(none).not.toHaveProperty("maxBytesToRead");
  });
});
