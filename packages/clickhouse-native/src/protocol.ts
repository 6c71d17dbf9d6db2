import type { JsonValue } from "./columns.js";
import type { ServerExceptionInfo } from "./errors.js";
import type { TypeNode } from "./types.js";

// ClickHouse's native protocol at revision 54460: the revisions, and what the server's packets
// carry. Client packets are encoded in client-packets.ts, server packets read in server-packets.ts.

/**
 * The revision this client speaks. Servers answer with min(theirs, ours); above 54460 fields
 * change between releases in ways the published sources do not all show, so never raise it
 * without capturing the new packets from a real server.
 */
export const CLIENT_REVISION = 54460;

/** Revisions at which fields appeared (ClickHouse src/Core/ProtocolDefines.h). */
export const REVISION = {
  TOTAL_ROWS_IN_PROGRESS: 51554,
  CLIENT_INFO: 54032,
  SERVER_TIMEZONE: 54058,
  QUOTA_KEY_IN_CLIENT_INFO: 54060,
  SERVER_DISPLAY_NAME: 54372,
  VERSION_PATCH: 54401,
  LOW_CARDINALITY: 54405,
  CLIENT_WRITE_INFO: 54420,
  SETTINGS_AS_STRINGS: 54429,
  INTERSERVER_SECRET: 54441,
  OPENTELEMETRY: 54442,
  DISTRIBUTED_DEPTH: 54448,
  INITIAL_QUERY_START_TIME: 54449,
  PARALLEL_REPLICAS: 54453,
  CUSTOM_SERIALIZATION: 54454,
  ADDENDUM: 54458,
  PARAMETERS: 54459,
  SERVER_QUERY_TIME_IN_PROGRESS: 54460,
} as const;

/** The oldest server this client talks to: LowCardinality columns travel as such from here on. */
export const MIN_SERVER_REVISION = REVISION.LOW_CARDINALITY;

export const CLIENT_VERSION = { major: 1, minor: 0, patch: 0 } as const;

export interface ServerHello {
  name: string;
  versionMajor: number;
  versionMinor: number;
  versionPatch: number;
  /** The server's own protocol revision. */
  revision: number;
  /** The server's default time zone. */
  timezone: string;
  displayName: string;
}

export interface ColumnInfo {
  name: string;
  /** The ClickHouse type as the server names it, e.g. `Nullable(String)`. */
  type: string;
}

export interface Block {
  columns: ColumnInfo[];
  rowCount: number;
  /** Values column by column: `values[column][row]`. */
  values: JsonValue[][];
  /**
   * Set when the server's block had more rows than `rowCount`, left out unread because they
   * cannot fit in the query's `byteBudget`: the first of them takes the budget past its end.
   */
  overBudget?: true;
}

export interface Progress {
  readRows: number;
  readBytes: number;
  totalRowsToRead: number;
  writtenRows: number;
  writtenBytes: number;
  /** Server-side elapsed time in nanoseconds (reported from revision 54460). */
  elapsedNs: number;
}

export interface ProfileInfo {
  rows: number;
  blocks: number;
  bytes: number;
  appliedLimit: boolean;
  rowsBeforeLimit: number;
  calculatedRowsBeforeLimit: boolean;
}

export type ServerMessage =
  | { type: "hello"; hello: ServerHello }
  | { type: "data" | "totals" | "extremes"; block: Block; types: TypeNode[] }
  | { type: "log" | "profile-events"; block: Block }
  | { type: "exception"; exceptions: ServerExceptionInfo[] }
  | { type: "progress"; progress: Progress }
  | { type: "profile-info"; profileInfo: ProfileInfo }
  | { type: "pong" }
  | { type: "end-of-stream" }
  | { type: "table-columns" };
