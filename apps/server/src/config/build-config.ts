import { randomBytes } from "node:crypto";
import { defaultPort } from "@mcp/clickhouse";
import { MIN_SECRET_LENGTH } from "@mcp/jwe";
import { isLoopbackHost } from "../loopback.js";
import { parseToolsConfig, type ToolsConfigInput } from "../mcp/operator-tools/config.js";
import { ConfigError } from "./config-error.js";
import { describeOption, OPTIONS, type OptionName, optionSpec } from "./flags.js";
import type { ResolvedOptions } from "./resolved-options.js";
import type {
  DefaultClickHouseConfig,
  GeneratorConfig,
  HttpConfig,
  JweConfig,
  LimitsConfig,
  PoolConfig,
  ServerConfig,
  Transport,
} from "./server-config.js";

export interface GeneratedSecrets {
  jweSecretKey?: string;
  jwtSecretKey?: string;
}

export interface BuiltConfig {
  config: ServerConfig;
  warnings: string[];
  generatedSecrets: GeneratedSecrets;
}

/** What the steps below share: the options, and where they report warnings. */
interface Context {
  readonly options: ResolvedOptions;
  readonly quickstart: boolean;
  readonly warnings: string[];
}

const describe = (name: OptionName): string => describeOption(optionSpec(name));

function conflict(setting: OptionName, message: string): never {
  throw new ConfigError("CONFIG_CONFLICT", message, { setting });
}

/**
 * Checks the merged options against each other and shapes them into the ServerConfig. The steps
 * run in this order, so that with several problems the first one reported stays the same.
 */
export function buildConfig(
  options: ResolvedOptions,
  quickstart: boolean,
  structured: Omit<ToolsConfigInput, "discoveryTtlSeconds"> = {},
): BuiltConfig {
  const ctx: Context = { options, quickstart, warnings: [] };
  const transports = checkTransports(ctx);
  const stdio = transports.includes("stdio");
  const { jwe, generatedSecrets } = jweConfig(ctx, stdio);
  const tls = serverTls(ctx, stdio);
  const clickhouse = clickhouseConfig(ctx);
  const generator = generatorConfig(ctx, jwe.allow && !stdio);
  if (!stdio) warnAnyHost(ctx);

  const config: ServerConfig = {
    http: { ...httpConfig(ctx, transports, tls), ...openApiMode(ctx, stdio) },
    jwe,
    clickhouse,
    limits: limitsConfig(ctx),
    pool: poolConfig(ctx),
    generator,
    logLevel: options.get("log-level"),
    operatorTools: parseToolsConfig(
      { ...structured, discoveryTtlSeconds: options.get("tools-discovery-ttl") },
      ctx.warnings,
    ),
  };
  return { config, warnings: ctx.warnings, generatedSecrets };
}

/** stdio alone, or one or both HTTP transports. */
function checkTransports({ options }: Context): Transport[] {
  const transports = options.list("transport") ?? [];
  if (transports.length === 0) conflict("transport", `${describe("transport")}: no transport given`);
  if (transports.includes("stdio") && transports.length > 1) {
    conflict(
      "transport",
      `${describe("transport")}: stdio cannot be combined with sse or http (got ${transports.join(",")})`,
    );
  }
  return transports;
}

function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** JWE on needs a secret (made up under --quickstart); short secrets draw warnings. */
function jweConfig(ctx: Context, stdio: boolean): { jwe: JweConfig; generatedSecrets: GeneratedSecrets } {
  const { options, quickstart } = ctx;
  const generatedSecrets: GeneratedSecrets = {};
  const allow = options.get("allow-jwe-auth");
  let jweSecret = options.text("jwe-secret-key");
  let jwtSecret = options.text("jwt-secret-key");
  if (allow && quickstart) {
    if (!jweSecret) jweSecret = generatedSecrets.jweSecretKey = generateSecret();
    if (!jwtSecret) jwtSecret = generatedSecrets.jwtSecretKey = generateSecret();
  }
  if (allow && !jweSecret) {
    conflict(
      "jwe-secret-key",
      `JWE authentication is on (${describe("allow-jwe-auth")}) but no secret is set: give ${describe("jwe-secret-key")}`,
    );
  }
  const previous = options.list("jwe-previous-secret-keys") ?? [];
  if (allow) {
    warnShortSecrets(ctx, jweSecret, jwtSecret, previous);
    if (stdio) {
      ctx.warnings.push(
        "--allow-jwe-auth has no effect with --transport=stdio: the stdio transport uses the default ClickHouse",
      );
    }
  }
  const jwe: JweConfig = {
    allow,
    jweSecretKeys: allow && jweSecret ? [jweSecret, ...previous.filter((p) => p !== jweSecret)] : [],
    jwtSecretKey: allow ? jwtSecret : undefined,
    clockToleranceSeconds: options.get("jwe-clock-tolerance"),
    maxTokenBytes: options.get("jwe-max-token-bytes"),
    maxTokenLifetimeSeconds: options.get("jwe-max-token-lifetime"),
    fillFromDefault: options.get("jwe-fill-from-default"),
  };
  return { jwe, generatedSecrets };
}

function warnShortSecrets(
  { options, warnings }: Context,
  jweSecret: string | undefined,
  jwtSecret: string | undefined,
  previous: readonly string[],
): void {
  const short = (name: OptionName, value: string | undefined) => {
    if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
      warnings.push(
        `${describe(name)} is shorter than ${MIN_SECRET_LENGTH} characters: use a long random secret`,
      );
    }
  };
  short("jwe-secret-key", jweSecret);
  short("jwt-secret-key", jwtSecret);
  if (previous.some((p) => p.length < MIN_SECRET_LENGTH)) {
    warnings.push(
      `a secret in ${describe("jwe-previous-secret-keys")} is shorter than ${MIN_SECRET_LENGTH} characters`,
    );
  }
  short("jwe-token-generator-key", options.text("jwe-token-generator-key"));
}

/** HTTPS needs an HTTP transport, a certificate and a key; files without --server-tls draw a warning. */
function serverTls({ options, warnings }: Context, stdio: boolean): HttpConfig["tls"] {
  const on = options.get("server-tls");
  const certFile = options.text("server-tls-cert-file");
  const keyFile = options.text("server-tls-key-file");
  const caCertFile = options.text("server-tls-ca-cert");
  if (!on) {
    if (certFile || keyFile || caCertFile) {
      warnings.push(
        `server TLS files are set but server TLS is off (${describeFlagAndEnv("server-tls")}): serving plain HTTP`,
      );
    }
    return undefined;
  }
  if (stdio)
    conflict("server-tls", "--server-tls needs an HTTP transport (--transport=sse and/or http), not stdio");
  if (!certFile) {
    conflict(
      "server-tls-cert-file",
      `server TLS is on but no certificate is set: give ${describe("server-tls-cert-file")}`,
    );
  }
  if (!keyFile) {
    conflict(
      "server-tls-key-file",
      `server TLS is on but no private key is set: give ${describe("server-tls-key-file")}`,
    );
  }
  return { certFile, keyFile, caCertFile };
}

function describeFlagAndEnv(name: OptionName): string {
  const spec = optionSpec(name);
  return [`--${spec.flag}`, "env" in spec ? spec.env : undefined].filter(Boolean).join(" / ");
}

/** The operator's ClickHouse; unless given, its port follows the protocol and TLS, as a token's does. */
function clickhouseConfig({ options }: Context): DefaultClickHouseConfig {
  const tlsClientCert = options.text("clickhouse-tls-client-cert");
  const tlsClientKey = options.text("clickhouse-tls-client-key");
  if (Boolean(tlsClientCert) !== Boolean(tlsClientKey)) {
    const missing: OptionName = tlsClientCert ? "clickhouse-tls-client-key" : "clickhouse-tls-client-cert";
    conflict(
      missing,
      "a ClickHouse client certificate needs both --clickhouse-tls-client-cert and --clickhouse-tls-client-key: " +
        `missing ${describe(missing)}`,
    );
  }
  const protocol = options.get("clickhouse-protocol");
  const tlsEnabled = options.get("clickhouse-tls");
  return {
    host: options.get("clickhouse-host"),
    port: options.isDefault("clickhouse-port")
      ? defaultPort(protocol, tlsEnabled)
      : options.get("clickhouse-port"),
    database: options.get("clickhouse-database"),
    username: options.get("clickhouse-username"),
    password: options.get("clickhouse-password"),
    protocol,
    tlsEnabled,
    tlsCaCert: options.text("clickhouse-tls-ca-cert"),
    tlsClientCert,
    tlsClientKey,
    tlsInsecureSkipVerify: options.get("clickhouse-tls-insecure-skip-verify"),
    configured: OPTIONS.some((o) => "connection" in o && o.connection && !options.isDefault(o.flag)),
  };
}

/**
 * The token generator serves only with JWE on over HTTP. Off a loopback address anyone who can
 * reach the server could mint tokens for any ClickHouse user it can reach, so there it needs an
 * operator key: without one it is turned off when on by default, and refused when asked for.
 */
function generatorConfig({ options, warnings }: Context, jweOverHttp: boolean): GeneratorConfig {
  const address = options.get("address");
  const operatorKey = options.text("jwe-token-generator-key");
  let enabled = options.get("jwe-token-generator") && jweOverHttp;
  if (enabled && !isLoopbackHost(address) && operatorKey === undefined) {
    if (!options.isDefault("jwe-token-generator")) {
      conflict(
        "jwe-token-generator-key",
        `the token generator (${describe("jwe-token-generator")}) on the non-loopback address ` +
          `${address} needs an operator key: give ${describe("jwe-token-generator-key")}`,
      );
    }
    enabled = false;
    warnings.push(
      `the token generator is off: --address=${address} is not a loopback address and no ` +
        `${describe("jwe-token-generator-key")} is set`,
    );
  }
  return { enabled, operatorKey };
}

/** Off a loopback address without --allowed-hosts, DNS-rebinding protection is off: say so. */
function warnAnyHost({ options, warnings }: Context): void {
  const address = options.get("address");
  if (!isLoopbackHost(address) && options.list("allowed-hosts") === undefined) {
    warnings.push(
      `listening on ${address} without ${describe("allowed-hosts")}: any Host header is accepted, ` +
        "so DNS-rebinding protection is off; list the names clients use (and --allowed-origins for browsers)",
    );
  }
}

/**
 * --openapi (or, as in the reference's config.yaml, server.openapi.enabled and .tls). It lives on
 * the HTTP listener, so with stdio it has no effect: a warning, since a reference config file
 * with it on must still start.
 */
function openApiMode({ options, warnings }: Context, stdio: boolean): Pick<HttpConfig, "openapi"> {
  let mode = options.get("openapi");
  if (options.isDefault("openapi") && options.get("openapi-enabled")) {
    mode = options.get("openapi-tls") ? "https" : "http";
  }
  if (mode === "disable") return {};
  if (stdio) {
    warnings.push(`${describe("openapi")} has no effect with --transport=stdio: it is served over HTTP`);
    return {};
  }
  return { openapi: mode };
}

function httpConfig({ options }: Context, transports: Transport[], tls: HttpConfig["tls"]): HttpConfig {
  return {
    transports,
    address: options.get("address"),
    port: options.get("port"),
    corsOrigin: options.text("cors-origin"),
    allowedHosts: options.list("allowed-hosts"),
    allowedOrigins: options.list("allowed-origins"),
    maxBodyBytes: options.get("max-body-bytes"),
    maxSseSessions: options.get("max-sse-sessions"),
    maxSseSessionsPerToken: options.get("max-sse-sessions-per-token"),
    maxConcurrentCallsPerToken: options.get("max-concurrent-calls-per-token"),
    sseKeepAliveMs: options.get("sse-keep-alive") * 1000,
    shutdownGraceMs: options.get("shutdown-grace") * 1000,
    requestTimeoutMs: options.get("request-timeout") * 1000,
    tls,
  };
}

function limitsConfig({ options }: Context): LimitsConfig {
  return {
    readOnly: options.get("read-only"),
    maxExecutionTime: options.get("clickhouse-max-execution-time"),
    maxResultRows: options.get("clickhouse-max-result-rows"),
    maxResultBytes: options.get("clickhouse-max-result-bytes"),
    maxMemoryUsage: options.get("clickhouse-max-memory-usage"),
    maxQueryLength: options.get("clickhouse-max-query-length"),
    maxRowsToRead: options.get("clickhouse-max-rows-to-read"),
    maxBytesToRead: options.get("clickhouse-max-bytes-to-read"),
  };
}

function poolConfig({ options }: Context): PoolConfig {
  return {
    maxClients: options.get("pool-max-clients"),
    idleTimeoutMs: options.get("pool-idle-timeout") * 1000,
    allowedHosts: options.list("clickhouse-allowed-hosts"),
    allowedTlsDirs: options.list("clickhouse-allowed-tls-dirs"),
  };
}
