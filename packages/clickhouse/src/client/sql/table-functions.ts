// The table functions and settings a read-only query may and may not name: tables, with the
// reasons for each choice (used by read-only-check.ts).
//
// ClickHouse's own `readonly` does not stop table functions everywhere: with readonly=1,
// `DESCRIBE TABLE file(…)` / `DESC url(…)` / `DESCRIBE remote(…)` still run their schema
// inference (read the file, fetch the URL, log in to the remote server), `cluster()`,
// `clusterAllReplicas()` and `eval()` are allowed outright, and the scalar `file()` reads server
// files; a user whose profile is readonly=2 cannot be sent readonly=1 at all. So reads are checked
// in read-only-check.ts, on the tokens, before anything is sent. Two rules, either of which refuses:
//
// 1. In table position (after FROM of a SELECT, JOIN, a comma of a FROM list, TABLE, DESCRIBE,
//    a statement-leading DESC, EXISTS, OVERRIDE), `name(` must name an allow-listed table
//    function. This also refuses table functions that future ClickHouse versions add.
// 2. Anywhere in the statement, `name(` must not name a known table function outside the
//    allow-list. This holds even where rule 1's idea of "table position" is wrong, and refuses
//    the scalar `file()`, which reads files on the server.

/**
 * Table functions a read-only query may use. They only generate or echo data given in the query:
 * no file, network, other server, dictionary or other table is touched.
 *
 * - `numbers`, `numbers_mt`, `zeros`, `zeros_mt`, `primes`, `generate_series`/`generateSeries`,
 *   `generateRandom`: generators (unbounded ones are stopped by the row cap and the deadline).
 * - `values`, `null`: rows from the query's own literals; an empty table.
 * - `view(SELECT …)`: a subquery; its text is checked like the rest of the statement.
 * - `format(FORMAT, 'data')`: parses the string literal it is given. It is also a scalar function
 *   (`format('{} {}', a, b)`), which must keep working. The input formats that read schema files
 *   (Protobuf, CapnProto, Template, …) need settings such as `format_schema`, which a read-only
 *   query cannot set (see the SETTINGS rule), and those files are confined to the server's
 *   `format_schema_path` anyway.
 *
 * Left out on purpose: `merge`/`loop`/`dictionary`/`mergeTree*`/`timeSeries*` (other tables, or
 * infinite), `cluster`/`clusterAllReplicas`/`remote*` (other servers), `eval` (builds SQL from
 * expressions, which no lexical check can see), `viewIfPermitted`/`viewExplain` (not needed;
 * `FROM (EXPLAIN …)`, which ClickHouse turns into viewExplain, names no function and is left to
 * ClickHouse's own readonly), and everything that reads files, URLs or external systems.
 */
export const READ_ONLY_TABLE_FUNCTIONS: readonly string[] = Object.freeze([
  "numbers",
  "numbers_mt",
  "zeros",
  "zeros_mt",
  "primes",
  "generate_series",
  "generateSeries",
  "generateRandom",
  "values",
  "null",
  "view",
  "format",
]);

// Every table function ClickHouse 26.7 has (system.table_functions), and some that other versions
// have or had, except the allow-listed ones. Refused anywhere in a read, in any letter case (some
// table functions are case-insensitive, e.g. `VALUES`, `View`). Besides the allow-listed `format`,
// the only names that are also scalar functions (system.functions) are `file` (reads a file:
// refused as a scalar as well) and `fuzzQuery` (only rewrites a string: not listed here, so the
// scalar works; rule 1 refuses the table function). read-only-guard.test.ts checks this list
// against the running server.
const KNOWN_TABLE_FUNCTIONS = [
  "arrowFlight",
  "azureBlobStorage",
  "azureBlobStorageCluster",
  "cluster",
  "clusterAllReplicas",
  "cosn",
  "deltaLake",
  "deltaLakeAzure",
  "deltaLakeAzureCluster",
  "deltaLakeCluster",
  "deltaLakeLocal",
  "deltaLakeS3",
  "deltaLakeS3Cluster",
  "dictionary",
  "eval",
  "executable",
  "file",
  "fileCluster",
  "filesystem",
  "fuzzJSON",
  "gcs",
  "hdfs",
  "hdfsCluster",
  "hive",
  "hudi",
  "hudiCluster",
  "iceberg",
  "icebergAzure",
  "icebergAzureCluster",
  "icebergCluster",
  "icebergHDFS",
  "icebergHDFSCluster",
  "icebergLocal",
  "icebergLocalCluster",
  "icebergS3",
  "icebergS3Cluster",
  "input",
  "jdbc",
  "loop",
  "meiliMatch",
  "merge",
  "mergeTreeAnalyzeIndexes",
  "mergeTreeAnalyzeIndexesUUID",
  "mergeTreeIndex",
  "mergeTreeProjection",
  "mergeTreeTextIndex",
  "mongodb",
  "mysql",
  "odbc",
  "oss",
  "paimon",
  "paimonAzure",
  "paimonAzureCluster",
  "paimonCluster",
  "paimonHDFS",
  "paimonHDFSCluster",
  "paimonLocal",
  "paimonS3",
  "paimonS3Cluster",
  "postgresql",
  "prometheusQuery",
  "prometheusQueryRange",
  "redis",
  "remote",
  "remoteSecure",
  "s3",
  "s3Cluster",
  "sqlite",
  "SQLStandardValues",
  "timeSeriesData",
  "timeSeriesMetrics",
  "timeSeriesSamples",
  "timeSeriesSelector",
  "timeSeriesTags",
  "url",
  "urlCluster",
  "viewExplain",
  "viewIfPermitted",
  "ytsaurus",
];

export const lower = (name: string) => name.toLowerCase();
export const ALLOWED_TABLE_FUNCTIONS = new Set(READ_ONLY_TABLE_FUNCTIONS.map(lower));
/** Lower-cased name → the name as ClickHouse spells it, for messages. */
export const DENIED_FUNCTIONS = new Map(
  KNOWN_TABLE_FUNCTIONS.filter((name) => !ALLOWED_TABLE_FUNCTIONS.has(lower(name))).map((name) => [
    lower(name),
    name,
  ]),
);

/**
 * Settings a read's SETTINGS clause may never name, even when the caller allows them: the limits
 * and the `readonly` level this package sends with the request (a query's own SETTINGS override
 * those), and their companions.
 */
export const CLIENT_CONTROLLED_SETTINGS = new Set([
  "readonly",
  "max_execution_time",
  "timeout_overflow_mode",
  "max_memory_usage",
  "max_result_rows",
  "max_result_bytes",
  "result_overflow_mode",
  "max_rows_to_read",
  "max_bytes_to_read",
  "read_overflow_mode",
]);
