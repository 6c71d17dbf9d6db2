/** zod shapes shared by the tools' input and output schemas. */
import { z } from "zod";

export const columnShape = z.object({ name: z.string(), type: z.string() });

export const truncatedShape = z.object({ reason: z.enum(["rows", "bytes"]), limit: z.number() });

export const statisticsShape = z.object({
  elapsedMs: z.number(),
  rowsRead: z.number(),
  bytesRead: z.number(),
});

export const tableInfoShape = z.object({
  database: z.string(),
  name: z.string(),
  engine: z.string(),
  totalRows: z.string().nullable(),
  totalBytes: z.string().nullable(),
  comment: z.string(),
  sortingKey: z.string(),
  partitionKey: z.string(),
});

export const tableDescriptionShape = z.object({
  database: z.string(),
  name: z.string(),
  engine: z.string(),
  comment: z.string(),
  columns: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      defaultKind: z.string(),
      defaultExpression: z.string(),
      comment: z.string(),
      inPrimaryKey: z.boolean(),
      inSortingKey: z.boolean(),
      inPartitionKey: z.boolean(),
    }),
  ),
});

/** A database or table name argument. */
export const identifier = (what: string) =>
  z.string().min(1).max(256).describe(`${what} name, exactly as ClickHouse spells it (no quoting)`);

/** The annotations of every tool that only reads. */
export const READ_ONLY_TOOL = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;
