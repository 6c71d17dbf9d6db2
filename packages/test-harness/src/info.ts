export interface Cred {
  username: string;
  password: string;
}

export interface HarnessUsers {
  /** Full access; may create databases. */
  admin: Cred;
  /** An ordinary read-write user with a password. */
  password: Cred;
  /** Profile `readonly=1`: no writes and no setting changes. */
  readonly1: Cred;
  /** Profile `readonly=2`: no writes, settings allowed. */
  readonly2: Cred;
  /** Granted only `database` (read-write there). */
  oneDb: Cred & { database: string };
}

export interface HarnessInfo {
  url: string;
  host: "127.0.0.1";
  httpPort: number;
  tcpPort: number;
  version: string;
  users: HarnessUsers;
  /** Database holding the seeded fixtures ("fixtures"). */
  fixturesDatabase: string;
}

export const FIXTURES_DATABASE = "fixtures";
export const ONE_DB_DATABASE = "harness_one_db";

/** Fully-qualified names of the seeded fixture tables (see fixtures.ts for their contents). */
export const FIXTURE_TABLES = {
  /** One column per type an agent meets, three rows of edge values. */
  types: `${FIXTURES_DATABASE}.types`,
  /** BIG_TABLE_ROWS rows generated server-side, for row and byte caps. */
  big: `${FIXTURES_DATABASE}.big`,
  /** A view over `big` (every 1000th row). */
  view: `${FIXTURES_DATABASE}.big_view`,
  /** A table and columns with comments. */
  commented: `${FIXTURES_DATABASE}.commented`,
} as const;

export const BIG_TABLE_ROWS = 3_000_000;

declare module "vitest" {
  export interface ProvidedContext {
    clickhouse: HarnessInfo;
    /** A directory for this run's scratch files (TLS certificates), removed at teardown. */
    testHarnessScratchDir: string;
  }
}
