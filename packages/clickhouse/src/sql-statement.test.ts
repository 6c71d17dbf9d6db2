import { describe, expect, it } from "vitest";
import { DatabaseError } from "./errors.js";
import { analyzeStatement, classifyStatement } from "./sql-statement.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DatabaseError ? error.code : "not a DatabaseError";
  }
  return undefined;
}

describe("classifyStatement", () => {
  it.each([
    "SELECT 1",
    "select * from t where x = 'a;b'",
    "  -- leading comment\n SELECT 1",
    "/* block */ SELECT 1",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "WITH 1 AS one SELECT one",
    "WITH t AS (SELECT * FROM system.tables) SELECT count() FROM t",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "SHOW TABLES",
    "show create table t",
    "DESCRIBE TABLE t",
    "DESC t",
    "EXISTS TABLE t",
    "EXPLAIN SELECT 1",
    "SELECT * FROM system.tables",
    "SELECT 1;",
    "SELECT 1 ; -- trailing comment",
    "SELECT 1;;  ",
    "SELECT $$;DROP TABLE t$$",
    "SELECT $tag$; DROP $$ TABLE t$tag$",
    'SELECT `weird;name` FROM "other;name"',
    "SELECT 'it''s; fine'",
    "SELECT 'back\\'slash; ok'",
    "SELECT 1 # comment; DROP TABLE t",
  ])("reads: %s", (sql) => {
    expect(classifyStatement(sql).kind).toBe("read");
  });

  it.each([
    "INSERT INTO t VALUES (1)",
    "INSERT INTO FUNCTION file('x.csv') SELECT 1",
    "CREATE TABLE t2 AS SELECT * FROM t",
    "CREATE TABLE t2 ENGINE = Memory AS SELECT 1",
    "DROP TABLE t",
    "ALTER TABLE t DELETE WHERE 1",
    "TRUNCATE TABLE t",
    "SET readonly = 0",
    "SYSTEM FLUSH LOGS",
    "KILL QUERY WHERE 1",
    "OPTIMIZE TABLE t FINAL",
    "GRANT ALL ON *.* TO x",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
    "WITH (SELECT 1) AS x DELETE FROM t WHERE 1",
    "/* SELECT */ DROP TABLE t",
    "-- SELECT\nDROP TABLE t",
    "DELETE FROM t WHERE 1",
    "UPDATE t SET x = 1",
    "USE other",
  ])("writes: %s", (sql) => {
    expect(classifyStatement(sql).kind).toBe("write");
  });

  it.each([
    "SELECT 1; DROP TABLE t",
    "SELECT 1; SELECT 2",
    "SELECT 1 -- c\n; DROP TABLE t",
    "SELECT 1 /* c */; DROP TABLE t",
    "SELECT '\\''; DROP TABLE t; SELECT ''",
  ])("refuses more than one statement: %s", (sql) => {
    expect(code(() => classifyStatement(sql))).toBe("READ_ONLY_VIOLATION");
  });

  it.each(["", "   ", "-- only a comment", "/* only */", ";"])("refuses empty text: %j", (sql) => {
    expect(code(() => classifyStatement(sql))).toBe("INVALID_QUERY");
  });

  it.each([
    "SELECT 'unterminated",
    'SELECT "unterminated',
    "SELECT `unterminated",
    "SELECT 1 /* unterminated",
    "SELECT 1 /* nested /* still open */",
    "SELECT 'a\\",
  ])("refuses text it cannot check: %s", (sql) => {
    expect(code(() => classifyStatement(sql))).toBe("INVALID_QUERY");
  });

  it("treats nested block comments like ClickHouse does", () => {
    // If the first */ closed the comment, "; DROP TABLE t" would be a second statement.
    expect(classifyStatement("SELECT 1 /* a /* b */ ; DROP TABLE t */").kind).toBe("read");
  });

  it("strips surrounding comments and semicolons from the statement", () => {
    expect(classifyStatement("-- hi\n  SELECT 1 /* mid */ + 2 ; -- bye").statement).toBe(
      "SELECT 1 /* mid */ + 2",
    );
  });
});

describe("analyzeStatement", () => {
  it("counts statements and names the first keyword without throwing", () => {
    const analysis = analyzeStatement("insert into t values (1); select 1");
    expect(analysis).toMatchObject({ kind: "write", keyword: "INSERT", statementCount: 2 });
  });
});
