import { BIG_TABLE_ROWS, FIXTURE_TABLES, FIXTURES_DATABASE, ONE_DB_DATABASE } from "./info.js";

/**
 * The fixtures, as statements run once per test run by the admin. Rows of `types`:
 * id 1: extreme values (UInt64/Int128/UInt256 limits, NaN, +Inf, binary FixedString, empty strings).
 * id 2: values just past the float-exact range (2^53 + 1), -Inf, unicode, NULLs.
 * id 3: zero/default values, strings with quotes, tabs and newlines.
 */
export const FIXTURE_STATEMENTS: readonly string[] = [
  `CREATE DATABASE IF NOT EXISTS ${FIXTURES_DATABASE} COMMENT 'Seeded by @mcp/test-harness'`,
  `CREATE TABLE ${FIXTURE_TABLES.types} (
    id UInt32,
    u64 UInt64,
    i64 Int64,
    i128 Int128,
    u256 UInt256,
    f32 Float32,
    f64 Float64,
    dec Decimal(18, 4),
    dec_big Decimal(38, 10),
    nullable_str Nullable(String),
    nullable_int Nullable(Int32),
    lc LowCardinality(String),
    enum8 Enum8('red' = 1, 'green' = 2, 'blue' = 3),
    d Date,
    d32 Date32,
    dt DateTime('UTC'),
    dt_tokyo DateTime('Asia/Tokyo'),
    dt64_berlin DateTime64(3, 'Europe/Berlin'),
    dt64_ns DateTime64(9, 'UTC'),
    uuid UUID,
    ip4 IPv4,
    ip6 IPv6,
    arr Array(Int32),
    arr_nullable Array(Nullable(String)),
    tup Tuple(name String, n UInt8),
    map Map(String, UInt64),
    json JSON,
    fixed FixedString(4),
    str String,
    flag Bool
  ) ENGINE = MergeTree ORDER BY id`,
  `INSERT INTO ${FIXTURE_TABLES.types} VALUES
    (1, 18446744073709551615, -9223372036854775808, -170141183460469231731687303715884105728,
     115792089237316195423570985008687907853269984665640564039457584007913129639935,
     nan, inf, 12345678901234.5678, 1234567890123456789012345678.0123456789,
     '', NULL, 'alpha', 'red', '2024-02-29', '1900-01-01', '2024-02-29 23:59:59', '2024-02-29 23:59:59',
     '2024-07-01 12:00:00.123', '2024-02-29 23:59:59.123456789',
     '01234567-89ab-cdef-0123-456789abcdef', '192.168.0.1', '2001:db8::ff00:42:8329',
     [1, -2, 2147483647], ['a', NULL, ''], ('first', 255), {'a': 18446744073709551615, 'b': 0},
     '{"user": {"name": "Ada", "tags": ["x", "y"], "address": {"city": "London", "zip": null}}, "n": 1}',
     unhex('00FF7F80'), '', true),
    (2, 9007199254740993, 9007199254740993, 170141183460469231731687303715884105727, 9007199254740993,
     1.5, -inf, -0.0001, -0.0000000001,
     'héllo wörld 世界 🎉', -2147483648, 'beta', 'green', '1970-01-01', '2299-12-31', '1970-01-01 00:00:00',
     '2038-01-19 03:14:07', '1969-12-31 23:59:59.999', '2262-04-11 23:47:16.854775807',
     '00000000-0000-0000-0000-000000000000', '0.0.0.0', '::ffff:127.0.0.1',
     [], [NULL], ('🎉 ünïcødé', 0), {},
     '{"deep": {"a": {"b": {"c": {"d": [1, 2, {"e": "f"}]}}}}}',
     'abcd', 'ünïcødé 日本語 😀', false),
    (3, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, '', 'blue', '2000-01-01', '2000-01-01', '2000-01-01 00:00:00',
     '2000-01-01 00:00:00', '2000-01-01 00:00:00.000', '2000-01-01 00:00:00.000000000',
     'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255', '::',
     [0], [], ('', 1), {'': 1},
     '{}',
     unhex('00000000'), 'say "hi"\\ttab\\nnewline \\\\ backslash ''quote''', true)`,
  `CREATE TABLE ${FIXTURE_TABLES.big} (
    id UInt64,
    category LowCardinality(String),
    value Float64,
    label String
  ) ENGINE = MergeTree ORDER BY id`,
  `INSERT INTO ${FIXTURE_TABLES.big}
    SELECT number, ['red', 'green', 'blue', 'yellow'][number % 4 + 1], number / 7, concat('row-', toString(number))
    FROM numbers(${BIG_TABLE_ROWS})`,
  `CREATE VIEW ${FIXTURE_TABLES.view} AS SELECT id, category, value FROM ${FIXTURE_TABLES.big} WHERE id % 1000 = 0`,
  `CREATE TABLE ${FIXTURE_TABLES.commented} (
    id UInt32 COMMENT 'Primary key of the planet',
    name String COMMENT 'Planet name in English',
    mass_kg Float64 COMMENT 'Mass in kilograms',
    moons UInt16 COMMENT 'Number of known moons'
  ) ENGINE = MergeTree ORDER BY id
  COMMENT 'Planets of the solar system'`,
  `INSERT INTO ${FIXTURE_TABLES.commented} VALUES
    (1, 'Mercury', 3.301e23, 0), (2, 'Venus', 4.867e24, 0), (3, 'Earth', 5.972e24, 1), (4, 'Mars', 6.417e23, 2)`,
  `CREATE DATABASE IF NOT EXISTS ${ONE_DB_DATABASE}`,
  `CREATE TABLE ${ONE_DB_DATABASE}.items (id UInt32, name String) ENGINE = MergeTree ORDER BY id`,
  `INSERT INTO ${ONE_DB_DATABASE}.items VALUES (1, 'only'), (2, 'here')`,
];
