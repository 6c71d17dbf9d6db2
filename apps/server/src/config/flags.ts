/**
 * The one table of every setting: command-line flag, environment variable, config-file key,
 * type, default and help text. load-config.ts, --help and the README table are all driven by it,
 * so a setting cannot exist in one place and be missing from another.
 */

import { DEFAULT_CLOCK_TOLERANCE, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_MAX_TOKEN_LIFETIME } from "@mcp/jwe";

export type OptionType = "string" | "boolean" | "integer" | "list";
export type OptionValue = string | number | boolean | readonly string[];

export interface OptionSpec {
  /** Flag name without the leading dashes, e.g. "clickhouse-host". */
  readonly flag: string;
  /** Environment variable, if the setting can come from the environment. */
  readonly env?: string;
  /** Dotted config-file key (e.g. "clickhouse.tls.ca_cert"), if the setting can come from the file. */
  readonly key?: string;
  readonly type: OptionType;
  readonly default?: OptionValue;
  /** Default when started by `pnpm start` (--quickstart), if different. */
  readonly quickstartDefault?: OptionValue;
  /** Allowed values (for "string"; for "list", allowed items). */
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Never echoed in an error message, scrubbed from logs. */
  readonly secret?: boolean;
  /** Part of the default ClickHouse connection: setting it means "ClickHouse is configured". */
  readonly connection?: boolean;
  /** Unit shown in help for integers. */
  readonly unit?: string;
  readonly help: string;
}

const MIB = 1024 * 1024;

export const OPTIONS = [
  // --- general -------------------------------------------------------------------------------
  {
    flag: "config",
    env: "CONFIG_FILE",
    type: "string",
    help: "Path to a YAML or JSON config file (keys as in the table below).",
  },
  {
    flag: "quickstart",
    type: "boolean",
    default: false,
    help:
      "Try-out mode used by `pnpm start`: transport sse,http, JWE on with fresh random secrets unless given, " +
      "and an embedded ClickHouse with a demo dataset when no ClickHouse is configured.",
  },
  {
    flag: "log-level",
    env: "LOG_LEVEL",
    key: "logging.level",
    type: "string",
    default: "info",
    choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
    help: "Log level. Logs are JSON lines on stderr.",
  },

  // --- MCP server -----------------------------------------------------------------------------
  {
    flag: "transport",
    env: "MCP_TRANSPORT",
    key: "server.transport",
    type: "list",
    default: ["stdio"],
    quickstartDefault: ["sse", "http"],
    choices: ["stdio", "sse", "http"],
    help: "MCP transport: stdio, or one or both of sse and http (comma-separated, e.g. sse,http).",
  },
  {
    flag: "address",
    env: "MCP_ADDRESS",
    key: "server.address",
    type: "string",
    default: "127.0.0.1",
    help: "Address the HTTP server listens on (0.0.0.0 for all interfaces).",
  },
  {
    flag: "port",
    env: "MCP_PORT",
    key: "server.port",
    type: "integer",
    default: 8080,
    min: 0,
    max: 65535,
    help: "Port the HTTP server listens on (0 picks a free port, logged at startup).",
  },
  {
    flag: "cors-origin",
    env: "MCP_CORS_ORIGIN",
    key: "server.cors_origin",
    type: "string",
    help: "Value of Access-Control-Allow-Origin (e.g. * or https://app.example.com). Unset: no CORS headers.",
  },
  {
    flag: "allowed-hosts",
    env: "MCP_ALLOWED_HOSTS",
    key: "server.allowed_hosts",
    type: "list",
    help:
      "Host header allow-list against DNS rebinding (comma-separated host or host:port). " +
      "Unset: on a loopback --address only loopback names with the listening port; on other addresses any (with a warning).",
  },
  {
    flag: "allowed-origins",
    env: "MCP_ALLOWED_ORIGINS",
    key: "server.allowed_origins",
    type: "list",
    help:
      "Origin header allow-list (comma-separated origins, e.g. https://app.example.com). Requests without Origin pass. " +
      "Unset: on a loopback --address only loopback origins (http(s)://localhost, 127.x, [::1], any port); on other addresses any.",
  },
  {
    flag: "max-body-bytes",
    env: "MCP_MAX_BODY_BYTES",
    key: "server.max_body_bytes",
    type: "integer",
    default: MIB,
    min: 1,
    unit: "bytes",
    help: "Largest accepted request body; larger bodies get 413.",
  },
  {
    flag: "max-sse-sessions",
    env: "MCP_MAX_SSE_SESSIONS",
    key: "server.max_sse_sessions",
    type: "integer",
    default: 1000,
    min: 1,
    help: "Most SSE sessions open at once; also the most 2026-07-28 subscription streams open at once.",
  },
  {
    flag: "max-sse-sessions-per-token",
    env: "MCP_MAX_SSE_SESSIONS_PER_TOKEN",
    key: "server.max_sse_sessions_per_token",
    type: "integer",
    default: 100,
    min: 1,
    help: "Most SSE sessions, and the most subscription streams, open at once with the same token (JWE on); more get 429.",
  },
  {
    flag: "max-concurrent-calls-per-token",
    env: "MCP_MAX_CONCURRENT_CALLS_PER_TOKEN",
    key: "server.max_concurrent_calls_per_token",
    type: "integer",
    default: 8,
    min: 1,
    help:
      "Most MCP requests (tool calls, reads) running at once with the same token (JWE on), over SSE and " +
      "Streamable HTTP together; more get 429 with Retry-After, so one agent cannot starve others sharing its ClickHouse.",
  },
  {
    flag: "sse-keep-alive",
    env: "MCP_SSE_KEEP_ALIVE",
    key: "server.sse_keep_alive",
    type: "integer",
    default: 15,
    min: 1,
    unit: "seconds",
    help: "Interval of keep-alive comments on SSE streams.",
  },
  {
    flag: "shutdown-grace",
    env: "MCP_SHUTDOWN_GRACE",
    key: "server.shutdown_grace",
    type: "integer",
    default: 10,
    min: 0,
    unit: "seconds",
    help: "On SIGTERM/SIGINT, how long in-flight tool calls may take to finish.",
  },
  {
    flag: "request-timeout",
    env: "MCP_REQUEST_TIMEOUT",
    key: "server.request_timeout",
    type: "integer",
    default: 30,
    min: 1,
    max: 3600,
    unit: "seconds",
    help:
      "Longest a client may take to send a request's headers and body; slower connections are closed " +
      "(slowloris). Open SSE streams and running tool calls are not affected.",
  },
  {
    flag: "tools-discovery-ttl",
    env: "MCP_TOOLS_DISCOVERY_TTL",
    key: "server.tools_discovery_ttl",
    type: "integer",
    default: 60,
    min: 1,
    max: 86_400,
    unit: "seconds",
    help:
      "How long a connection's operator-defined tools (config key server.tools) are kept before ClickHouse is " +
      "asked again; connections with listening clients are looked up this often, and tools/list may be cached this long.",
  },

  {
    flag: "openapi",
    env: "MCP_OPENAPI",
    type: "string",
    default: "disable",
    choices: ["disable", "http", "https"],
    help:
      "Serve the tools as REST with an OpenAPI 3.1 document (GPT actions) at [/<token>]/openapi. https: the " +
      "document's server URL is https (behind a TLS-terminating proxy); http: the request's own scheme.",
  },
  {
    flag: "openapi-enabled",
    key: "server.openapi.enabled",
    type: "boolean",
    default: false,
    help: "The reference's config-file form of --openapi: serve the OpenAPI endpoints (--openapi, when given, wins).",
  },
  {
    flag: "openapi-tls",
    key: "server.openapi.tls",
    type: "boolean",
    default: false,
    help: "The reference's config-file form of --openapi=https: the document's server URL is https.",
  },

  // --- server TLS -----------------------------------------------------------------------------
  {
    flag: "server-tls",
    env: "MCP_SERVER_TLS",
    key: "server.tls.enabled",
    type: "boolean",
    default: false,
    help: "Serve HTTPS instead of HTTP.",
  },
  {
    flag: "server-tls-cert-file",
    env: "MCP_SERVER_TLS_CERT_FILE",
    key: "server.tls.cert_file",
    type: "string",
    help: "PEM certificate (chain) of the server.",
  },
  {
    flag: "server-tls-key-file",
    env: "MCP_SERVER_TLS_KEY_FILE",
    key: "server.tls.key_file",
    type: "string",
    help: "PEM private key of the server.",
  },
  {
    flag: "server-tls-ca-cert",
    env: "MCP_SERVER_TLS_CA_CERT",
    key: "server.tls.ca_cert",
    type: "string",
    help: "PEM CA bundle: when set, clients must present a certificate signed by it (mutual TLS).",
  },

  // --- JWE authentication ---------------------------------------------------------------------
  {
    flag: "allow-jwe-auth",
    env: "MCP_ALLOW_JWE_AUTH",
    key: "server.jwe.enabled",
    type: "boolean",
    default: false,
    quickstartDefault: true,
    help: "Require a JWE token per request; the token carries the ClickHouse connection.",
  },
  {
    flag: "jwe-secret-key",
    env: "MCP_JWE_SECRET_KEY",
    key: "server.jwe.jwe_secret_key",
    type: "string",
    secret: true,
    help: "Secret the JWE tokens are encrypted with (required with --allow-jwe-auth).",
  },
  {
    flag: "jwt-secret-key",
    env: "MCP_JWT_SECRET_KEY",
    key: "server.jwe.jwt_secret_key",
    type: "string",
    secret: true,
    help: "Secret of the inner JWT signature (HS256). When set, unsigned tokens are refused.",
  },
  {
    flag: "jwe-previous-secret-keys",
    env: "MCP_JWE_PREVIOUS_SECRET_KEYS",
    key: "server.jwe.previous_jwe_secret_keys",
    type: "list",
    secret: true,
    help: "Older JWE secrets still accepted for decryption during a rotation (comma-separated).",
  },
  {
    flag: "jwe-clock-tolerance",
    env: "MCP_JWE_CLOCK_TOLERANCE",
    key: "server.jwe.clock_tolerance",
    type: "integer",
    default: DEFAULT_CLOCK_TOLERANCE,
    min: 0,
    max: 3600,
    unit: "seconds",
    help: "Clock skew allowed when checking exp and nbf.",
  },
  {
    flag: "jwe-max-token-bytes",
    env: "MCP_JWE_MAX_TOKEN_BYTES",
    key: "server.jwe.max_token_bytes",
    type: "integer",
    default: DEFAULT_MAX_TOKEN_BYTES,
    min: 256,
    unit: "bytes",
    help: "Longer tokens are refused before any decryption.",
  },
  {
    flag: "jwe-max-token-lifetime",
    env: "MCP_JWE_MAX_TOKEN_LIFETIME",
    key: "server.jwe.max_token_lifetime",
    type: "integer",
    default: DEFAULT_MAX_TOKEN_LIFETIME,
    min: 60,
    unit: "seconds",
    help: "Tokens whose exp lies further ahead than this are refused (401); the generator endpoint and CLI refuse to mint them. Default 30 days.",
  },
  {
    flag: "jwe-fill-from-default",
    env: "MCP_JWE_FILL_FROM_DEFAULT",
    key: "server.jwe.fill_from_default",
    type: "boolean",
    default: false,
    help: "Fill connection fields a token leaves out from the default ClickHouse (--clickhouse-*).",
  },
  {
    flag: "jwe-token-generator",
    env: "MCP_JWE_TOKEN_GENERATOR",
    key: "server.jwe.token_generator.enabled",
    type: "boolean",
    default: false,
    quickstartDefault: true,
    help: "Serve POST /jwe-token-generator (only with JWE on). On a non-loopback --address it also needs --jwe-token-generator-key.",
  },
  {
    flag: "jwe-token-generator-key",
    env: "MCP_JWE_TOKEN_GENERATOR_KEY",
    key: "server.jwe.token_generator.operator_key",
    type: "string",
    secret: true,
    help: "When set, POST /jwe-token-generator requires `Authorization: Bearer` with this key.",
  },

  // --- default ClickHouse ---------------------------------------------------------------------
  {
    flag: "clickhouse-host",
    env: "CLICKHOUSE_HOST",
    key: "clickhouse.host",
    type: "string",
    default: "localhost",
    connection: true,
    help: "ClickHouse host used without JWE.",
  },
  {
    flag: "clickhouse-port",
    env: "CLICKHOUSE_PORT",
    key: "clickhouse.port",
    type: "integer",
    default: 8123,
    min: 1,
    max: 65535,
    connection: true,
    help: "ClickHouse port. Unset: 8123 (8443 with --clickhouse-tls); with --clickhouse-protocol=tcp 9000 (9440 with TLS).",
  },
  {
    flag: "clickhouse-database",
    env: "CLICKHOUSE_DATABASE",
    key: "clickhouse.database",
    type: "string",
    default: "default",
    connection: true,
    help: "ClickHouse database.",
  },
  {
    flag: "clickhouse-username",
    env: "CLICKHOUSE_USERNAME",
    key: "clickhouse.username",
    type: "string",
    default: "default",
    connection: true,
    help: "ClickHouse user.",
  },
  {
    flag: "clickhouse-password",
    env: "CLICKHOUSE_PASSWORD",
    key: "clickhouse.password",
    type: "string",
    default: "",
    secret: true,
    connection: true,
    help: "ClickHouse password.",
  },
  {
    flag: "clickhouse-protocol",
    env: "CLICKHOUSE_PROTOCOL",
    key: "clickhouse.protocol",
    type: "string",
    default: "http",
    choices: ["http", "tcp"],
    connection: true,
    help: "ClickHouse protocol.",
  },
  {
    flag: "clickhouse-tls",
    env: "CLICKHOUSE_TLS",
    key: "clickhouse.tls.enabled",
    type: "boolean",
    default: false,
    connection: true,
    help: "Connect to ClickHouse over TLS.",
  },
  {
    flag: "clickhouse-tls-ca-cert",
    env: "CLICKHOUSE_TLS_CA_CERT",
    key: "clickhouse.tls.ca_cert",
    type: "string",
    connection: true,
    help: "PEM CA bundle to verify ClickHouse's certificate.",
  },
  {
    flag: "clickhouse-tls-client-cert",
    env: "CLICKHOUSE_TLS_CLIENT_CERT",
    key: "clickhouse.tls.client_cert",
    type: "string",
    connection: true,
    help: "PEM client certificate for ClickHouse.",
  },
  {
    flag: "clickhouse-tls-client-key",
    env: "CLICKHOUSE_TLS_CLIENT_KEY",
    key: "clickhouse.tls.client_key",
    type: "string",
    connection: true,
    help: "PEM client key for ClickHouse.",
  },
  {
    flag: "clickhouse-tls-insecure-skip-verify",
    env: "CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY",
    key: "clickhouse.tls.insecure_skip_verify",
    type: "boolean",
    default: false,
    connection: true,
    help: "Do not verify ClickHouse's certificate (testing only).",
  },

  // --- limits ---------------------------------------------------------------------------------
  {
    flag: "read-only",
    env: "CLICKHOUSE_READ_ONLY",
    key: "clickhouse.read_only",
    type: "boolean",
    default: false,
    help: "Refuse writes for every connection (no write_query tool).",
  },
  {
    flag: "clickhouse-max-execution-time",
    env: "CLICKHOUSE_MAX_EXECUTION_TIME",
    key: "clickhouse.max_execution_time",
    type: "integer",
    default: 600,
    min: 1,
    unit: "seconds",
    help: "Longest a query may run. A token's max_execution_time can only lower it.",
  },
  {
    flag: "clickhouse-max-result-rows",
    env: "CLICKHOUSE_MAX_RESULT_ROWS",
    key: "clickhouse.max_result_rows",
    type: "integer",
    default: 500,
    min: 1,
    help: "Most rows returned by one query; a token's limit can only lower it.",
  },
  {
    flag: "clickhouse-max-result-bytes",
    env: "CLICKHOUSE_MAX_RESULT_BYTES",
    key: "clickhouse.max_result_bytes",
    type: "integer",
    default: 16 * MIB,
    min: 1,
    unit: "bytes",
    help: "Most bytes of result returned by one query.",
  },
  {
    flag: "clickhouse-max-memory-usage",
    env: "CLICKHOUSE_MAX_MEMORY_USAGE",
    key: "clickhouse.max_memory_usage",
    type: "integer",
    default: 4096 * MIB,
    min: 0,
    unit: "bytes",
    help: "Most memory one query may use on ClickHouse (sent as max_memory_usage; 0: leave it to ClickHouse).",
  },
  {
    flag: "clickhouse-max-query-length",
    env: "CLICKHOUSE_MAX_QUERY_LENGTH",
    key: "clickhouse.max_query_length",
    type: "integer",
    default: 100_000,
    min: 1,
    unit: "bytes",
    help: "Longest accepted SQL text, counted in UTF-8 bytes (ClickHouse's own measure).",
  },
  {
    flag: "clickhouse-max-rows-to-read",
    env: "CLICKHOUSE_MAX_ROWS_TO_READ",
    key: "clickhouse.max_rows_to_read",
    type: "integer",
    default: 0,
    min: 0,
    help:
      "Read budget: most rows a read query may read from tables (sent as max_rows_to_read with " +
      "read_overflow_mode=throw; a query over it is refused). A token's max_rows_to_read can only lower it. 0: no budget.",
  },
  {
    flag: "clickhouse-max-bytes-to-read",
    env: "CLICKHOUSE_MAX_BYTES_TO_READ",
    key: "clickhouse.max_bytes_to_read",
    type: "integer",
    default: 0,
    min: 0,
    unit: "bytes",
    help:
      "Read budget: most uncompressed bytes a read query may read from tables (sent as max_bytes_to_read). " +
      "A token's max_bytes_to_read can only lower it. 0: no budget.",
  },

  // --- connection pool and egress restrictions -------------------------------------------------
  {
    flag: "clickhouse-allowed-hosts",
    env: "CLICKHOUSE_ALLOWED_HOSTS",
    key: "clickhouse.allowed_hosts",
    type: "list",
    help: "ClickHouse hosts a token (or the generator) may name (comma-separated). Unset: any.",
  },
  {
    flag: "clickhouse-allowed-tls-dirs",
    env: "CLICKHOUSE_ALLOWED_TLS_DIRS",
    key: "clickhouse.allowed_tls_dirs",
    type: "list",
    help: "Directories a token's TLS file paths must be inside (comma-separated). Unset: any.",
  },
  {
    flag: "pool-max-clients",
    env: "MCP_POOL_MAX_CLIENTS",
    key: "clickhouse.pool.max_clients",
    type: "integer",
    default: 100,
    min: 1,
    help: "Most pooled ClickHouse clients (one per distinct connection).",
  },
  {
    flag: "pool-idle-timeout",
    env: "MCP_POOL_IDLE_TIMEOUT",
    key: "clickhouse.pool.idle_timeout",
    type: "integer",
    default: 300,
    min: 1,
    unit: "seconds",
    help: "A pooled client unused this long is closed.",
  },
] as const satisfies readonly OptionSpec[];

/** A config-file key with a structured value (a list of mappings): no flag or variable, as in the reference. */
export interface FileOnlySpec {
  readonly key: string;
  readonly help: string;
}

export const FILE_ONLY_OPTIONS = [
  {
    key: "server.tools",
    help:
      "Operator-defined tools, as in the reference: a list of entries {type: read, view_regexp, prefix} (views as " +
      "read tools), {type: write, table_regexp, prefix, mode: insert} (tables as insert tools) or {type: read/write, " +
      "name: execute_query/write_query}; with the list given, execute_query and write_query are served only when " +
      "named. See Operator-defined tools.",
  },
  {
    key: "server.dynamic_tools",
    help: "Deprecated form of server.tools (the reference's): entries with regexp, prefix, name, type, mode. Ignored when server.tools is set.",
  },
] as const satisfies readonly FileOnlySpec[];

type Option = (typeof OPTIONS)[number];
export type OptionName = Option["flag"];
/** The table's row of one option, with its literal types (type, choices, default). */
export type OptionSpecOf<N extends OptionName> = Extract<Option, { flag: N }>;
/** Names of the options of one type, e.g. OptionNameOfType<"integer">. */
export type OptionNameOfType<T extends OptionType> = Extract<Option, { type: T }>["flag"];
/** Options marked `secret: true`: never echoed, scrubbed from logs (see configSecrets). */
export type SecretOptionName = Extract<Option, { secret: true }>["flag"];

type ItemOf<S> = S extends { readonly choices: readonly (infer C)[] } ? C : string;
type ValueOfSpec<S> = S extends { readonly type: "boolean" }
  ? boolean
  : S extends { readonly type: "integer" }
    ? number
    : S extends { readonly type: "list" }
      ? readonly ItemOf<S>[]
      : ItemOf<S>;
/** An item of a list option: the union of its choices, or string. */
export type ListItemOf<N extends OptionNameOfType<"list">> = ItemOf<OptionSpecOf<N>>;
/**
 * The value of an option after loading, typed by its row: `number` for an integer, the union of
 * its choices for a string with choices, and `| undefined` only when it has no default.
 */
export type OptionValueOf<N extends OptionName> =
  OptionSpecOf<N> extends { readonly default: unknown }
    ? ValueOfSpec<OptionSpecOf<N>>
    : ValueOfSpec<OptionSpecOf<N>> | undefined;

const byFlag = new Map<string, OptionSpec>(OPTIONS.map((o) => [o.flag, o]));

export function findOption(flag: string): OptionSpec | undefined {
  return byFlag.get(flag);
}

/** The row of a known option. */
export function optionSpec<N extends OptionName>(flag: N): OptionSpecOf<N> {
  return byFlag.get(flag) as OptionSpecOf<N>;
}

/** Every place a setting can come from, for error messages: "--port / MCP_PORT / server.port". */
export function describeOption(spec: OptionSpec): string {
  return [`--${spec.flag}`, spec.env, spec.key && `config key ${spec.key}`].filter(Boolean).join(" / ");
}

function formatDefault(value: OptionValue | undefined): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.join(",");
  if (value === "") return '""';
  return String(value);
}

/** The --help text. */
export function renderHelp(): string {
  const lines = [
    "Usage: altinity-mcp [flags]",
    "",
    "MCP server for ClickHouse with per-request JWE authentication.",
    "Precedence: flag > environment variable > config file > default.",
    "Booleans: --flag, --flag=true|false, --no-flag. Lists: comma-separated.",
    "",
    "Flags:",
    "  -h, --help        show this help",
    "  -v, --version     print the version",
  ];
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const value = spec.type === "boolean" ? "" : spec.type === "integer" ? " <n>" : " <value>";
    lines.push(`  --${spec.flag}${value}`);
    const details = [spec.help];
    if (spec.unit) details.push(`Unit: ${spec.unit}.`);
    if (spec.choices) details.push(`One of: ${spec.choices.join(", ")}.`);
    const def = formatDefault(spec.default);
    if (def) details.push(`Default: ${def}.`);
    const quick = formatDefault(spec.quickstartDefault);
    if (quick) details.push(`With --quickstart: ${quick}.`);
    if (spec.env) details.push(`Env: ${spec.env}.`);
    if (spec.key) details.push(`Config key: ${spec.key}.`);
    lines.push(`        ${details.join(" ")}`);
  }
  lines.push("", "Config-file only (structured values):");
  for (const spec of FILE_ONLY_OPTIONS as readonly FileOnlySpec[]) {
    lines.push(`  ${spec.key}`, `        ${spec.help}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The README's configuration table (kept in sync by a unit test). */
export function renderMarkdownTable(): string {
  const rows = [
    "| Flag | Environment variable | Config-file key | Default | Description |",
    "|---|---|---|---|---|",
  ];
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const def = formatDefault(spec.default);
    const quick = formatDefault(spec.quickstartDefault);
    const defaultCell = [def && `\`${def}\``, quick && `(\`pnpm start\`: \`${quick}\`)`]
      .filter(Boolean)
      .join(" ");
    const help = [
      spec.help,
      spec.unit && `Unit: ${spec.unit}.`,
      spec.choices && `One of ${spec.choices.join(", ")}.`,
    ]
      .filter(Boolean)
      .join(" ")
      .replaceAll("|", "\\|");
    rows.push(
      `| \`--${spec.flag}\` | ${spec.env ? `\`${spec.env}\`` : ""} | ${spec.key ? `\`${spec.key}\`` : ""} | ${defaultCell} | ${help} |`,
    );
  }
  for (const spec of FILE_ONLY_OPTIONS as readonly FileOnlySpec[]) {
    rows.push(`|  |  | \`${spec.key}\` |  | ${spec.help.replaceAll("|", "\\|")} |`);
  }
  return `${rows.join("\n")}\n`;
}
