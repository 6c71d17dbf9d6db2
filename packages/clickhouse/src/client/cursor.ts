import { DatabaseError } from "../errors/database-error.js";

// The `listTables` cursor: opaque to callers, valid only for the listing (database and pattern)
// that produced it, so that a cursor cannot be replayed against another database.

export function encodeCursor(database: string, like: string | undefined, after: string): string {
  return Buffer.from(JSON.stringify({ d: database, l: like ?? null, a: after }), "utf8").toString(
    "base64url",
  );
}

/** The table name to continue after; INVALID_ARGUMENT when the cursor is not from this listing. */
export function decodeCursor(cursor: string, database: string, like: string | undefined): string {
  const invalid = () => new DatabaseError("INVALID_ARGUMENT", "The cursor is not valid for this listing");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const { d, l, a } = (value ?? {}) as { d?: unknown; l?: unknown; a?: unknown };
  if (d !== database || l !== (like ?? null) || typeof a !== "string") throw invalid();
  return a;
}
