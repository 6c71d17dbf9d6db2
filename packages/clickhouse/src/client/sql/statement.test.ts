import { describe, expect, it } from "vitest";
import { DatabaseError } from "../../errors/database-error.js";
import { checkReadOnlyStatement } from "./read-only-check.js";
import { analyzeStatement, classifyStatement } from "./statement.js";
import { READ_ONLY_TABLE_FUNCTIONS } from "./table-functions.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DatabaseError ? error.code : "not a DatabaseError";
  }
  return undefined;
}

/** The error checkReadOnlyStatement throws, or undefined when it lets the statement through. */
function refusal(sql: string, allowedSettings?: readonly string[]): DatabaseError | undefined {
  try {
    checkReadOnlyStatement(sql, allowedSettings ? { allowedSettings } : {});
  } catch (error) {
    if (error instanceof DatabaseError) return error;
    throw error;
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

describe("checkReadOnlyStatement: table functions", () => {
  const passwd = "'/etc/passwd', 'TSVWithNames'";
  it.each<[string, string]>([
    // Every statement form.
    [`SELECT * FROM file(${passwd})`, "file"],
    [`EXPLAIN SELECT * FROM file(${passwd})`, "file"],
    [`EXPLAIN AST SELECT * FROM url('http://127.0.0.1:1/')`, "url"],
    [`DESCRIBE TABLE file(${passwd})`, "file"],
    [`DESCRIBE file(${passwd})`, "file"],
    [`DESC file(${passwd})`, "file"],
    [`desc table file(${passwd})`, "file"],
    [`DESC url('http://169.254.169.254/latest/meta-data/', 'LineAsString')`, "url"],
    ["DESCRIBE remote('10.0.0.1:9000', system.one, 'default', 'guess')", "remote"],
    ["DESCRIBE remoteSecure('10.0.0.1:9440', system.one)", "remoteSecure"],
    ["DESCRIBE mysql('10.0.0.1:3306', 'db', 't', 'root', 'guess')", "mysql"],
    ["DESCRIBE postgresql('10.0.0.1:5432', 'db', 't', 'postgres', 'guess')", "postgresql"],
    [`SHOW CREATE TABLE file(${passwd})`, "file"],
    [`SHOW CREATE TEMPORARY TABLE file(${passwd})`, "file"],
    [`EXISTS TABLE file(${passwd})`, "file"],
    [`EXISTS file(${passwd})`, "file"],
    [`SHOW COLUMNS FROM file(${passwd})`, "file"],
    ["EXPLAIN TABLE OVERRIDE mysql('h:3306', 'd', 't', 'u', 'p') PARTITION BY x", "mysql"],
    // Subqueries, CTEs, UNION branches, joins.
    [`SELECT * FROM (SELECT * FROM file(${passwd}))`, "file"],
    [`SELECT count() FROM (SELECT 1) WHERE 1 IN (SELECT 1 FROM file(${passwd}))`, "file"],
    [`WITH t AS (SELECT * FROM file(${passwd})) SELECT * FROM t`, "file"],
    [`WITH x AS (SELECT 1) SELECT * FROM x, file(${passwd})`, "file"],
    [`SELECT 1 UNION ALL SELECT * FROM file(${passwd})`, "file"],
    [`(SELECT 1) UNION DISTINCT (SELECT * FROM file(${passwd}))`, "file"],
    [`SELECT 1 EXCEPT SELECT * FROM file(${passwd})`, "file"],
    [`SELECT * FROM numbers(1), file(${passwd})`, "file"],
    [`SELECT * FROM numbers(1) AS a, numbers(2) AS b, file(${passwd}) AS c`, "file"],
    [`SELECT * FROM numbers(1) AS a JOIN file(${passwd}) AS b ON 1`, "file"],
    [`SELECT * FROM numbers(1) AS a LEFT ANY JOIN url('http://x/') AS b USING (number)`, "url"],
    [`SELECT * FROM numbers(1) CROSS JOIN s3('http://x/b/k.csv')`, "s3"],
    [`SELECT * FROM numbers(1) PASTE JOIN hdfs('hdfs://x/y')`, "hdfs"],
    [`SELECT * FROM view(SELECT * FROM file(${passwd}))`, "file"],
    [`SELECT * FROM (FROM file(${passwd}) SELECT *)`, "file"],
    [`SELECT * FROM loop(numbers(3))`, "loop"],
    // Quoting, letter case, comments and unusual spaces between the name and "(".
    [`SELECT * FROM \`file\`(${passwd})`, "file"],
    [`SELECT * FROM "url"('http://x/')`, "url"],
    [`SELECT * FROM FILE(${passwd})`, "file"],
    [`SELECT * FROM File(${passwd})`, "file"],
    [`SELECT * FROM file /* comment */ (${passwd})`, "file"],
    [`SELECT * FROM file -- comment\n (${passwd})`, "file"],
    [`SELECT * FROM file\n\t(${passwd})`, "file"],
    [`SELECT * FROM file\u200b(${passwd})`, "file"],
    [`SELECT * FROM file\u00a0(${passwd})`, "file"],
    [`SELECT * FROM file\ufeff(${passwd})`, "file"],
    // Outside table position too: the scalar file() reads server files.
    ["SELECT file('/etc/hostname')", "file"],
    ["SELECT length(file('/etc/hostname')) AS n", "file"],
    [`SELECT 1 IN file(${passwd})`, "file"],
    ["SELECT * FROM system.one WHERE dummy IN remote('h', system.one)", "remote"],
    ["SELECT t.url('x')", "url"],
    // Table functions that are not external but still not allowed.
    ["SELECT * FROM merge('db', '^t')", "merge"],
    ["SELECT * FROM cluster('default', system.one)", "cluster"],
    ["SELECT * FROM clusterAllReplicas('default', system.one)", "clusterAllReplicas"],
    ["SELECT * FROM eval('SELECT 1')", "eval"],
    ["SELECT * FROM filesystem('/')", "filesystem"],
    ["SELECT * FROM executable('id', 'CSV', 'a String')", "executable"],
    ["SELECT * FROM dictionary('d')", "dictionary"],
    ["SELECT * FROM icebergLocal('/tmp/x')", "icebergLocal"],
    ["SELECT * FROM deltaLakeLocal('/tmp/x')", "deltaLakeLocal"],
    ["SELECT * FROM fuzzQuery('SELECT 1')", "fuzzQuery"],
    // Names ClickHouse does not know (yet): refused in table position.
    ["SELECT * FROM someFutureTableFunction('x')", "someFutureTableFunction"],
    ["SELECT * FROM numbers(1), futureSource('x')", "futureSource"],
    ["DESCRIBE TABLE futureSource('x')", "futureSource"],
    ["SELECT * FROM db.numbers(1)", "db.numbers"],
    ["SELECT * FROM TABLE(numbers(1))", "TABLE"],
  ])("refuses %s", (sql, name) => {
    const error = refusal(sql);
    expect(error?.code).toBe("READ_ONLY_VIOLATION");
    expect(error?.message).toMatch(
      new RegExp(`^(table )?function "${name.replace(".", "\\.")}" is not allowed in read-only mode`),
    );
  });

  it("refuses quoted function names with escapes, which ClickHouse decodes (`fi\\x6ce` is file)", () => {
    const error = refusal("SELECT * FROM `fi\\x6ce`('/etc/passwd', 'LineAsString')");
    expect(error?.code).toBe("READ_ONLY_VIOLATION");
    expect(error?.message).toContain("escape sequences");
  });

  it("names the function in ClickHouse's spelling and lists the allowed ones", () => {
    expect(refusal("DESC URL('http://x/')")?.message).toBe(
      `table function "url" is not allowed in read-only mode (allowed: ${READ_ONLY_TABLE_FUNCTIONS.join(", ")})`,
    );
    expect(refusal("SELECT file('/etc/hostname')")?.message).toBe(
      'function "file" is not allowed in read-only mode: it reads files on the ClickHouse server',
    );
  });

  it.each([
    "SELECT * FROM numbers(10)",
    "SELECT * FROM numbers_mt(10)",
    "SELECT * FROM NUMBERS(10)",
    "SELECT * FROM `numbers`(10)",
    "SELECT * FROM zeros(3), zeros_mt(3)",
    "SELECT * FROM primes(5)",
    "SELECT * FROM generate_series(1, 5) AS a JOIN generateSeries(1, 5) AS b ON a.generate_series = b.generate_series",
    "SELECT * FROM generateRandom('a UInt8', 1) LIMIT 3",
    "SELECT * FROM values('x UInt8', 1, 2)",
    "SELECT * FROM VALUES('x UInt8', 1, 2)",
    "SELECT * FROM (VALUES (1), (2))",
    "SELECT * FROM null('x UInt8')",
    "SELECT * FROM view(SELECT number FROM numbers(3))",
    "SELECT * FROM format(JSONEachRow, '{\"a\": 1}')",
    "DESCRIBE TABLE numbers(3)",
    "DESC numbers(3)",
    "EXPLAIN SELECT * FROM numbers(3)",
    "SELECT * FROM (EXPLAIN SELECT 1)",
    // Scalar functions and names that only look like table functions.
    "SELECT format('{} {}', 'a', 'b')",
    "SELECT FORMAT('{} {}', 'a', 'b')",
    "SELECT fuzzQuery('SELECT 1')",
    "SELECT file FROM t",
    "SELECT file, url, remote, mysql FROM logs WHERE url LIKE 'http%'",
    "SELECT domain(url) AS d, count() FROM hits GROUP BY d",
    "SELECT 'file(' AS s, 'url(' AS t",
    "SELECT $$file('/etc/passwd')$$",
    "SELECT 1 -- file('/etc/passwd')",
    "SELECT 1 /* url('http://x/') */",
    "SELECT * FROM db.url",
    "SELECT * FROM url",
    "SELECT * FROM `file`",
    "SELECT * FROM remote.t",
    "SELECT * FROM t AS file",
    "SELECT url AS file FROM t",
    "WITH file AS (SELECT 1) SELECT * FROM file",
    "SELECT fileCount, urlPath(x) FROM t",
    "SELECT toUInt8(1) AS merge",
    // FROM and JOIN that are not table positions.
    "SELECT EXTRACT(YEAR FROM now())",
    "SELECT trim(BOTH ' ' FROM concat('a', ' '))",
    "SELECT substring('abc' FROM 2 FOR 1)",
    "SELECT 1 IS DISTINCT FROM toUInt8(2)",
    "SELECT 1 IS NOT DISTINCT FROM toUInt8(2)",
    "SELECT a, r FROM (SELECT [1, 2] AS arr, 1 AS a) ARRAY JOIN arr AS x, range(3) AS r",
    "SELECT a FROM t LEFT ARRAY JOIN arrayMap(x -> x, arr) AS a, range(2) AS r",
    "SELECT a, lower(b) FROM t WHERE c IN tuple(1, 2) ORDER BY a DESC, lower(b)",
    "SELECT number FROM numbers(10) ORDER BY number DESC WITH FILL",
    "SELECT * FROM t1, t2 WHERE t1.a = lower(t2.b) GROUP BY a, toDate(b) LIMIT 1, 2",
    "SELECT table, name FROM system.columns WHERE table IN ('a', 'b')",
    "SELECT database, table FROM (SELECT 'd' AS database, 't' AS table)",
    "SELECT exists(SELECT 1)",
    "SELECT * FROM t WHERE EXISTS (SELECT 1)",
    "SHOW TABLES FROM system LIKE 'q%'",
    "SHOW CREATE TABLE system.one",
    "EXISTS TABLE system.one",
    "SELECT count() OVER (ORDER BY x DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
  ])("lets through %s", (sql) => {
    expect(refusal(sql)).toBeUndefined();
  });

  it("is applied by classifyStatement to reads, not to writes", () => {
    expect(code(() => classifyStatement("DESC file('/etc/passwd')"))).toBe("READ_ONLY_VIOLATION");
    expect(classifyStatement("INSERT INTO FUNCTION file('x.csv') SELECT 1").kind).toBe("write");
    expect(classifyStatement("SELECT * FROM numbers(3)").kind).toBe("read");
  });
});

describe("checkReadOnlyStatement: SETTINGS clauses", () => {
  it.each<[string, string]>([
    ["SELECT 1 SETTINGS max_execution_time = 0", "max_execution_time"],
    ["SELECT 1 SETTINGS max_threads = 1, max_result_rows = 0", "max_result_rows"],
    ["SELECT 1 settings readonly = 0", "readonly"],
    ["SELECT 1 SETTINGS max_memory_usage = 0", "max_memory_usage"],
    ["SELECT 1 SETTINGS result_overflow_mode = 'throw'", "result_overflow_mode"],
    ["SELECT 1 SETTINGS timeout_overflow_mode = 'break'", "timeout_overflow_mode"],
    ["SELECT 1 SETTINGS max_rows_to_read = 0", "max_rows_to_read"],
    ["SELECT 1 SETTINGS `max_execution_time` = 0", "max_execution_time"],
    ['SELECT 1 SETTINGS "max_execution_time" = 0', "max_execution_time"],
    ["SELECT 1 SETTINGS /* c */ max_execution_time /* c */ = 0", "max_execution_time"],
    ["SELECT 1 FORMAT JSONEachRow SETTINGS max_execution_time = 0", "max_execution_time"],
    ["SELECT * FROM (SELECT 1 SETTINGS max_execution_time = 0)", "max_execution_time"],
    ["WITH t AS (SELECT 1 SETTINGS max_memory_usage = 0) SELECT * FROM t", "max_memory_usage"],
    ["SELECT 1 UNION ALL SELECT 2 SETTINGS max_result_bytes = 0", "max_result_bytes"],
    ["EXPLAIN SELECT 1 SETTINGS max_execution_time = 0", "max_execution_time"],
    ["SELECT 1 SETTINGS max_threads = 1, additional_table_filters = map('t', 'x'), readonly = 2", "readonly"],
    ["SELECT 1 SETTINGS max_threads = -1, max_execution_time = 0", "max_execution_time"],
  ])("refuses %s", (sql, name) => {
    const error = refusal(sql, ["max_threads", "additional_table_filters"]);
    expect(error?.code).toBe("READ_ONLY_VIOLATION");
    expect(error?.message).toMatch(
      new RegExp(`^the setting "${name}" is not allowed in the SETTINGS clause of a read-only query`),
    );
  });

  it("allows only the caller's allowed settings, and never the limits this package sends", () => {
    expect(refusal("SELECT 1 SETTINGS max_threads = 1")?.message).toBe(
      'the setting "max_threads" is not allowed in the SETTINGS clause of a read-only query',
    );
    expect(
      refusal("SELECT 1 SETTINGS max_threads = 1, join_use_nulls = 1", ["max_threads", "join_use_nulls"]),
    ).toBe(undefined);
    expect(refusal("SELECT 1 SETTINGS max_threads = 1 FORMAT JSON", ["max_threads"])).toBeUndefined();
    // Even when a caller puts them in its list.
    expect(
      refusal("SELECT 1 SETTINGS max_execution_time = 0", ["max_threads", "max_execution_time"])?.message,
    ).toBe(
      'the setting "max_execution_time" is not allowed in the SETTINGS clause of a read-only query (allowed: max_threads)',
    );
    // Names are compared exactly, as ClickHouse does.
    expect(refusal("SELECT 1 SETTINGS MAX_THREADS = 1", ["max_threads"])?.code).toBe("READ_ONLY_VIOLATION");
  });

  it.each([
    "SELECT settings FROM system.query_log",
    "SELECT Settings['max_threads'] FROM system.query_log",
    "SELECT 'SETTINGS max_execution_time = 0'",
    "SELECT 1 -- SETTINGS max_execution_time = 0",
    "SELECT `SETTINGS` FROM t",
  ])("lets through what is not a SETTINGS clause: %s", (sql) => {
    expect(refusal(sql)).toBeUndefined();
  });
});

describe("checkReadOnlyStatement: INTO OUTFILE", () => {
  it("refuses it", () => {
    expect(refusal("SELECT 1 INTO OUTFILE '/tmp/x.csv'")?.code).toBe("READ_ONLY_VIOLATION");
    expect(refusal("SELECT 1 AS outfile")).toBeUndefined();
  });
});
