import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { defaultConnection } from "./default-connection.js";
import { OPTIONS } from "./flags.js";
import { configSecrets, loadConfig, resolveConfig } from "./load-config.js";
import { parseArgv } from "./parse-argv.js";

const dir = mkdtempSync(join(tmpdir(), "mcp-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function configFile(ext: "yaml" | "yml" | "json", text: string): string {
  const path = join(dir, `config-${fileCounter++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

function configError(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    loadConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const SECRET = "s".repeat(40);

describe("defaults", () => {
  it("match the documented defaults with nothing given", () => {
    const config = loadConfig([], {});
    expect(config.http).toEqual({
      transports: ["stdio"],
      address: "127.0.0.1",
      port: 8080,
      corsOrigin: undefined,
      allowedHosts: undefined,
      allowedOrigins: undefined,
      maxBodyBytes: 1024 * 1024,
      maxSseSessions: 1000,
      maxSseSessionsPerToken: 100,
      maxConcurrentCallsPerToken: 8,
      sseKeepAliveMs: 15_000,
      shutdownGraceMs: 10_000,
      requestTimeoutMs: 30_000,
      tls: undefined,
    });
    expect(config.jwe).toEqual({
      allow: false,
      jweSecretKeys: [],
      jwtSecretKey: undefined,
      clockToleranceSeconds: 30,
      maxTokenBytes: 16384,
      maxTokenLifetimeSeconds: 30 * 24 * 3600,
      fillFromDefault: false,
    });
    expect(config.clickhouse).toEqual({
      host: "localhost",
      port: 8123,
      database: "default",
      username: "default",
      password: "",
      protocol: "http",
      tlsEnabled: false,
      tlsCaCert: undefined,
      tlsClientCert: undefined,
      tlsClientKey: undefined,
      tlsInsecureSkipVerify: false,
      configured: false,
    });
    expect(config.limits).toEqual({
      readOnly: false,
      maxExecutionTime: 600,
      maxResultRows: 500,
      maxResultBytes: 16 * 1024 * 1024,
      maxMemoryUsage: 4 * 1024 * 1024 * 1024,
      maxQueryLength: 100_000,
      maxRowsToRead: 0,
      maxBytesToRead: 0,
    });
    expect(config.pool).toEqual({
      maxClients: 100,
      idleTimeoutMs: 300_000,
      allowedHosts: undefined,
      allowedTlsDirs: undefined,
    });
    expect(config.generator).toEqual({ enabled: false, operatorKey: undefined });
    expect(config.logLevel).toBe("info");
  });

  it("secure defaults: the generator off, and on a loopback address only, or with an operator key", () => {
    const jwe = { MCP_ALLOW_JWE_AUTH: "true", MCP_JWE_SECRET_KEY: SECRET, MCP_TRANSPORT: "http" };
    expect(loadConfig([], jwe).generator.enabled).toBe(false);
    expect(loadConfig(["--jwe-token-generator"], jwe).generator.enabled).toBe(true);
    // pnpm start turns it on for its own loopback server.
    expect(resolveConfig(parseArgv(["--quickstart"]), {}).config.generator.enabled).toBe(true);
    // Without JWE there is nothing to mint.
    expect(loadConfig(["--jwe-token-generator", "--transport=http"], {}).generator.enabled).toBe(false);

    const exposed = configError(
      ["--jwe-token-generator", "--address=0.0.0.0", "--allowed-hosts=mcp.example.com"],
      jwe,
    );
    expect(exposed.code).toBe("CONFIG_CONFLICT");
    expect(exposed.message).toMatch(/non-loopback address 0\.0\.0\.0 needs an operator key/);
    expect(exposed.message).toContain("--jwe-token-generator-key");
    const keyed = loadConfig(
      ["--jwe-token-generator", "--address=0.0.0.0", "--allowed-hosts=mcp.example.com"],
      { ...jwe, MCP_JWE_TOKEN_GENERATOR_KEY: "k".repeat(40) },
    );
    expect(keyed.generator).toEqual({ enabled: true, operatorKey: "k".repeat(40) });
    // pnpm start on a public address: the generator goes off instead, with a warning.
    const quick = resolveConfig(parseArgv(["--quickstart", "--address=0.0.0.0", "--allowed-hosts=x"]), {});
    expect(quick.config.generator.enabled).toBe(false);
    expect(quick.warnings.join("\n")).toMatch(
      /token generator is off: --address=0\.0\.0\.0 is not a loopback/,
    );
  });

  it("warns when a non-loopback address has no Host allow-list", () => {
    const warned = resolveConfig(parseArgv(["--transport=http", "--address=0.0.0.0"]), {});
    expect(warned.warnings.join("\n")).toMatch(/listening on 0\.0\.0\.0 without --allowed-hosts/);
    expect(resolveConfig(parseArgv(["--transport=http", "--address=127.0.0.2"]), {}).warnings).toEqual([]);
    expect(resolveConfig(parseArgv(["--transport=http", "--address=::1"]), {}).warnings).toEqual([]);
    expect(
      resolveConfig(parseArgv(["--transport=http", "--address=0.0.0.0", "--allowed-hosts=a.example"]), {})
        .warnings,
    ).toEqual([]);
  });

  it("reads the maximum token lifetime and the per-token call cap", () => {
    const config = loadConfig([], {
      MCP_JWE_MAX_TOKEN_LIFETIME: "3600",
      MCP_MAX_CONCURRENT_CALLS_PER_TOKEN: "3",
    });
    expect(config.jwe.maxTokenLifetimeSeconds).toBe(3600);
    expect(config.http.maxConcurrentCallsPerToken).toBe(3);
    expect(configError(["--jwe-max-token-lifetime=10"]).message).toMatch(
      /--jwe-max-token-lifetime.*at least 60/,
    );
    expect(configError(["--max-concurrent-calls-per-token=0"]).message).toMatch(
      /--max-concurrent-calls-per-token.*at least 1/,
    );
  });

  it("quickstart defaults to sse,http with JWE on and fresh random secrets", () => {
    const a = resolveConfig(parseArgv(["--quickstart"]), {});
    const b = resolveConfig(parseArgv(["--quickstart"]), {});
    expect(a.quickstart).toBe(true);
    expect(a.config.http.transports).toEqual(["sse", "http"]);
    expect(a.config.jwe.allow).toBe(true);
    expect(a.generatedSecrets.jweSecretKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.generatedSecrets.jwtSecretKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.config.jwe.jweSecretKeys).toEqual([a.generatedSecrets.jweSecretKey]);
    expect(a.config.jwe.jwtSecretKey).toBe(a.generatedSecrets.jwtSecretKey);
    expect(b.generatedSecrets.jweSecretKey).not.toBe(a.generatedSecrets.jweSecretKey);
    expect(a.warnings).toEqual([]);
  });

  it("quickstart keeps secrets from the environment and generates only the missing one", () => {
    const r = resolveConfig(parseArgv(["--quickstart"]), { MCP_JWE_SECRET_KEY: SECRET });
    expect(r.config.jwe.jweSecretKeys).toEqual([SECRET]);
    expect(r.generatedSecrets.jweSecretKey).toBeUndefined();
    expect(r.generatedSecrets.jwtSecretKey).toBeDefined();
  });

  it("quickstart honours an explicit transport and --no-allow-jwe-auth", () => {
    const r = resolveConfig(parseArgv(["--quickstart", "--transport=http", "--no-allow-jwe-auth"]), {});
    expect(r.config.http.transports).toEqual(["http"]);
    expect(r.config.jwe.allow).toBe(false);
    expect(r.generatedSecrets).toEqual({});
  });
});

describe("precedence: flag > env > file > default", () => {
  const yaml = () =>
    configFile(
      "yaml",
      [
        "server:",
        "  port: 9001",
        "  address: 0.0.0.0",
        "clickhouse:",
        "  host: from-file",
        "  database: filedb",
        "  max_result_rows: 42",
        "logging:",
        "  level: debug",
      ].join("\n"),
    );

  it("file beats default", () => {
    const config = loadConfig(["--config", yaml()], {});
    expect(config.http.port).toBe(9001);
    expect(config.http.address).toBe("0.0.0.0");
    expect(config.clickhouse.host).toBe("from-file");
    expect(config.clickhouse.database).toBe("filedb");
    expect(config.limits.maxResultRows).toBe(42);
    expect(config.logLevel).toBe("debug");
    expect(config.clickhouse.configured).toBe(true);
  });

  it("env beats file", () => {
    const config = loadConfig(["--config", yaml()], { MCP_PORT: "9002", CLICKHOUSE_HOST: "from-env" });
    expect(config.http.port).toBe(9002);
    expect(config.clickhouse.host).toBe("from-env");
    expect(config.clickhouse.database).toBe("filedb");
  });

  it("flag beats env", () => {
    const config = loadConfig(["--config", yaml(), "--port=9003", "--clickhouse-host", "from-flag"], {
      MCP_PORT: "9002",
      CLICKHOUSE_HOST: "from-env",
    });
    expect(config.http.port).toBe(9003);
    expect(config.clickhouse.host).toBe("from-flag");
  });

  it("CONFIG_FILE is used when --config is absent, and --config wins over it", () => {
    const a = yaml();
    const b = configFile("json", JSON.stringify({ server: { port: 9100 } }));
    expect(loadConfig([], { CONFIG_FILE: a }).http.port).toBe(9001);
    expect(loadConfig(["--config", b], { CONFIG_FILE: a }).http.port).toBe(9100);
  });

  it("an empty environment variable counts as unset", () => {
    const config = loadConfig(["--config", yaml()], { MCP_PORT: "", CLICKHOUSE_HOST: "" });
    expect(config.http.port).toBe(9001);
    expect(config.clickhouse.host).toBe("from-file");
  });

  it("the last occurrence of a repeated flag wins", () => {
    expect(loadConfig(["--port=1", "--port", "2"], {}).http.port).toBe(2);
  });

  it("reports where each value came from", () => {
    const r = resolveConfig(parseArgv(["--config", yaml(), "--port=1"]), { CLICKHOUSE_HOST: "h" });
    expect(r.origins.get("port")).toBe("flag");
    expect(r.origins.get("clickhouse-host")).toBe("env");
    expect(r.origins.get("clickhouse-database")).toBe("file");
    expect(r.origins.get("clickhouse-username")).toBe("default");
  });
});

describe("config files", () => {
  it("reads the reference's nested YAML layout", () => {
    const path = configFile(
      "yml",
      `
clickhouse:
  host: ch.example.com
  port: 9440
  database: analytics
  username: reader
  password: "12345"
  protocol: tcp
  read_only: true
  max_execution_time: 30
  max_result_rows: 1000
  tls:
    enabled: true
    ca_cert: /etc/ca.pem
    client_cert: /etc/c.pem
    client_key: /etc/k.pem
    insecure_skip_verify: false
  allowed_hosts: [ch.example.com, ch2.example.com]
  pool:
    max_clients: 7
    idle_timeout: 60
server:
  transport: sse
  address: 0.0.0.0
  allowed_hosts: [mcp.example.com]
  port: 8443
  cors_origin: "*"
  tls:
    enabled: true
    cert_file: /etc/server.pem
    key_file: /etc/server.key
    ca_cert: /etc/clients-ca.pem
  jwe:
    enabled: true
    jwe_secret_key: ${SECRET}
    jwt_secret_key: ${SECRET}x
    previous_jwe_secret_keys: [${"o".repeat(40)}]
    token_generator:
      enabled: false
      operator_key: ${"k".repeat(40)}
logging:
  level: warn
`,
    );
    const r = resolveConfig(parseArgv(["--config", path]), {});
    const { config } = r;
    expect(r.warnings).toEqual([]);
    expect(config.clickhouse).toMatchObject({
      host: "ch.example.com",
      port: 9440,
      database: "analytics",
      username: "reader",
      password: "12345",
      protocol: "tcp",
      tlsEnabled: true,
      tlsCaCert: "/etc/ca.pem",
      tlsClientCert: "/etc/c.pem",
      tlsClientKey: "/etc/k.pem",
      configured: true,
    });
    expect(config.limits).toMatchObject({ readOnly: true, maxExecutionTime: 30, maxResultRows: 1000 });
    expect(config.pool).toEqual({
      maxClients: 7,
      idleTimeoutMs: 60_000,
      allowedHosts: ["ch.example.com", "ch2.example.com"],
      allowedTlsDirs: undefined,
    });
    expect(config.http).toMatchObject({
      transports: ["sse"],
      address: "0.0.0.0",
      allowedHosts: ["mcp.example.com"],
      port: 8443,
      corsOrigin: "*",
      tls: { certFile: "/etc/server.pem", keyFile: "/etc/server.key", caCertFile: "/etc/clients-ca.pem" },
    });
    expect(config.jwe.jweSecretKeys).toEqual([SECRET, "o".repeat(40)]);
    expect(config.jwe.jwtSecretKey).toBe(`${SECRET}x`);
    expect(config.generator).toEqual({ enabled: false, operatorKey: "k".repeat(40) });
    expect(config.logLevel).toBe("warn");
  });

  it("reads JSON, with lists as arrays or comma strings", () => {
    const path = configFile(
      "json",
      JSON.stringify({ server: { transport: "sse, http", allowed_hosts: "a.example, b.example" } }),
    );
    const config = loadConfig(["--config", path], {});
    expect(config.http.transports).toEqual(["sse", "http"]);
    expect(config.http.allowedHosts).toEqual(["a.example", "b.example"]);
  });

  it("treats null and empty sections as unset", () => {
    const path = configFile("yaml", "server:\n  port:\n  tls:\nclickhouse:\n");
    const config = loadConfig(["--config", path], {});
    expect(config.http.port).toBe(8080);
    expect(config.clickhouse.configured).toBe(false);
  });

  it("an empty file is an empty config", () => {
    expect(loadConfig(["--config", configFile("yaml", "")], {}).http.port).toBe(8080);
  });
});

describe("value syntax", () => {
  it("accepts booleans as bare flags, =value, --no-flag, and words in env", () => {
    expect(loadConfig(["--read-only"], {}).limits.readOnly).toBe(true);
    expect(loadConfig(["--read-only=false"], { CLICKHOUSE_READ_ONLY: "true" }).limits.readOnly).toBe(false);
    expect(loadConfig(["--no-read-only"], { CLICKHOUSE_READ_ONLY: "1" }).limits.readOnly).toBe(false);
    expect(loadConfig([], { CLICKHOUSE_READ_ONLY: "YES" }).limits.readOnly).toBe(true);
    expect(loadConfig([], { CLICKHOUSE_READ_ONLY: "off" }).limits.readOnly).toBe(false);
  });

  it("a boolean flag does not swallow the next argument", () => {
    const config = loadConfig(["--read-only", "--port", "9"], {});
    expect(config.limits.readOnly).toBe(true);
    expect(config.http.port).toBe(9);
  });

  it("ignores a bare -- (pnpm 10 passes it through to the script)", () => {
    expect(loadConfig(["--", "--port=9011"], {}).http.port).toBe(9011);
  });

  it("accepts the Go-style single dash", () => {
    expect(loadConfig(["-port", "9010", "-read-only"], {}).http.port).toBe(9010);
  });

  it("normalises enum case and splits lists", () => {
    const config = loadConfig(
      ["--transport", "SSE,Http", "--log-level=DEBUG", "--clickhouse-protocol=TCP"],
      {},
    );
    expect(config.http.transports).toEqual(["sse", "http"]);
    expect(config.logLevel).toBe("debug");
    expect(config.clickhouse.protocol).toBe("tcp");
  });

  it("an explicitly empty string flag is kept", () => {
    const config = loadConfig(["--clickhouse-password="], { CLICKHOUSE_PASSWORD: "from-env" });
    expect(config.clickhouse.password).toBe("");
  });

  it("puts the current JWE secret first, then the previous ones, without duplicates", () => {
    const config = loadConfig(["--transport=http", "--allow-jwe-auth"], {
      MCP_JWE_SECRET_KEY: SECRET,
      MCP_JWE_PREVIOUS_SECRET_KEYS: `${"a".repeat(32)}, ${SECRET},${"b".repeat(32)}`,
    });
    expect(config.jwe.jweSecretKeys).toEqual([SECRET, "a".repeat(32), "b".repeat(32)]);
  });

  it("reads the read budget from flags, the environment and the config file (0: none)", () => {
    expect(loadConfig(["--clickhouse-max-rows-to-read=1000000"], {}).limits.maxRowsToRead).toBe(1_000_000);
    expect(loadConfig([], { CLICKHOUSE_MAX_BYTES_TO_READ: "5000" }).limits.maxBytesToRead).toBe(5000);
    const file = configFile("yaml", "clickhouse:\n  max_rows_to_read: 42\n  max_bytes_to_read: 43\n");
    expect(loadConfig(["--config", file], {}).limits).toMatchObject({
      maxRowsToRead: 42,
      maxBytesToRead: 43,
    });
    expect(() => loadConfig(["--clickhouse-max-rows-to-read=-1"], {})).toThrow(
      /--clickhouse-max-rows-to-read/,
    );
  });

  it("port 0 (any free port) is allowed", () => {
    expect(loadConfig(["--port=0"], {}).http.port).toBe(0);
  });

  it("any connection setting marks the default ClickHouse as configured; limits do not", () => {
    expect(loadConfig(["--clickhouse-max-result-rows=5"], {}).clickhouse.configured).toBe(false);
    expect(loadConfig(["--read-only"], {}).clickhouse.configured).toBe(false);
    expect(loadConfig([], { CLICKHOUSE_PASSWORD: "x" }).clickhouse.configured).toBe(true);
    expect(loadConfig(["--clickhouse-port=9000"], {}).clickhouse.configured).toBe(true);
  });

  it("the default ClickHouse port follows the protocol and TLS unless given", () => {
    const port = (argv: string[]) => loadConfig(argv, {}).clickhouse.port;
    expect(port([])).toBe(8123);
    expect(port(["--clickhouse-tls"])).toBe(8443);
    expect(port(["--clickhouse-protocol=tcp"])).toBe(9000);
    expect(port(["--clickhouse-protocol=tcp", "--clickhouse-tls"])).toBe(9440);
    expect(port(["--clickhouse-protocol=tcp", "--clickhouse-port=8123"])).toBe(8123);
  });
});

describe("bad configuration", () => {
  const cases: {
    name: string;
    argv: string[];
    env?: Record<string, string>;
    code: string;
    message: RegExp;
  }[] = [
    {
      name: "unknown flag",
      argv: ["--bogus=1"],
      code: "CONFIG_UNKNOWN_FLAG",
      message: /unknown flag --bogus/,
    },
    {
      name: "--no- on a non-boolean",
      argv: ["--no-port"],
      code: "CONFIG_UNKNOWN_FLAG",
      message: /unknown flag --no-port/,
    },
    {
      name: "positional argument",
      argv: ["serve"],
      code: "CONFIG_UNKNOWN_FLAG",
      message: /unexpected argument "serve"/,
    },
    {
      name: "flag without value",
      argv: ["--port"],
      code: "CONFIG_MISSING_VALUE",
      message: /--port needs a value/,
    },
    {
      name: "flag followed by another flag",
      argv: ["--address", "--port=1"],
      code: "CONFIG_MISSING_VALUE",
      message: /--address needs a value/,
    },
    {
      name: "port out of range (flag)",
      argv: ["--port=70000"],
      code: "CONFIG_INVALID_VALUE",
      message: /--port: must be from 0 to 65535 \(got "70000"\)/,
    },
    {
      name: "port out of range (env)",
      argv: [],
      env: { MCP_PORT: "-1" },
      code: "CONFIG_INVALID_VALUE",
      message: /MCP_PORT: must be from 0 to 65535/,
    },
    {
      name: "port not a number",
      argv: [],
      env: { MCP_PORT: "80a" },
      code: "CONFIG_INVALID_VALUE",
      message: /MCP_PORT: must be a whole number \(got "80a"\)/,
    },
    {
      name: "clickhouse port 0",
      argv: ["--clickhouse-port=0"],
      code: "CONFIG_INVALID_VALUE",
      message: /--clickhouse-port: must be from 1 to 65535/,
    },
    {
      name: "unknown transport",
      argv: ["--transport=websocket"],
      code: "CONFIG_INVALID_VALUE",
      message: /--transport: unknown value "websocket", must be one of stdio, sse, http/,
    },
    {
      name: "unknown transport (env)",
      argv: [],
      env: { MCP_TRANSPORT: "sse,grpc" },
      code: "CONFIG_INVALID_VALUE",
      message: /MCP_TRANSPORT: unknown value "grpc"/,
    },
    {
      name: "stdio combined with http",
      argv: ["--transport=stdio,http"],
      code: "CONFIG_CONFLICT",
      message: /--transport \/ MCP_TRANSPORT \/ config key server.transport: stdio cannot be combined/,
    },
    {
      name: "empty transport",
      argv: ["--transport=,"],
      code: "CONFIG_CONFLICT",
      message: /no transport given/,
    },
    {
      name: "bad boolean",
      argv: ["--allow-jwe-auth=maybe"],
      code: "CONFIG_INVALID_VALUE",
      message: /--allow-jwe-auth: must be true or false/,
    },
    {
      name: "bad log level",
      argv: [],
      env: { LOG_LEVEL: "verbose" },
      code: "CONFIG_INVALID_VALUE",
      message: /LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent/,
    },
    {
      name: "bad protocol",
      argv: ["--clickhouse-protocol=grpc"],
      code: "CONFIG_INVALID_VALUE",
      message: /--clickhouse-protocol: must be one of http, tcp/,
    },
    {
      name: "JWE on without a secret",
      argv: ["--allow-jwe-auth", "--transport=sse"],
      code: "CONFIG_CONFLICT",
      message:
        /no secret is set: give --jwe-secret-key \/ MCP_JWE_SECRET_KEY \/ config key server.jwe.jwe_secret_key/,
    },
    {
      name: "JWE on (env) with only a JWT secret",
      argv: ["--transport=sse"],
      env: { MCP_ALLOW_JWE_AUTH: "true", MCP_JWT_SECRET_KEY: SECRET },
      code: "CONFIG_CONFLICT",
      message: /--jwe-secret-key/,
    },
    {
      name: "server TLS without certificate",
      argv: ["--transport=http", "--server-tls", "--server-tls-key-file=/k.pem"],
      code: "CONFIG_CONFLICT",
      message: /no certificate is set: give --server-tls-cert-file \/ MCP_SERVER_TLS_CERT_FILE/,
    },
    {
      name: "server TLS without key",
      argv: ["--transport=http", "--server-tls", "--server-tls-cert-file=/c.pem"],
      code: "CONFIG_CONFLICT",
      message: /no private key is set: give --server-tls-key-file \/ MCP_SERVER_TLS_KEY_FILE/,
    },
    {
      name: "server TLS with stdio",
      argv: ["--server-tls", "--server-tls-cert-file=/c", "--server-tls-key-file=/k"],
      code: "CONFIG_CONFLICT",
      message: /--server-tls needs an HTTP transport/,
    },
    {
      name: "ClickHouse client cert without key",
      argv: ["--clickhouse-tls", "--clickhouse-tls-client-cert=/c.pem"],
      code: "CONFIG_CONFLICT",
      message: /missing --clickhouse-tls-client-key \/ CLICKHOUSE_TLS_CLIENT_KEY/,
    },
    {
      name: "limit below minimum",
      argv: ["--clickhouse-max-result-rows=0"],
      code: "CONFIG_INVALID_VALUE",
      message: /--clickhouse-max-result-rows: must be at least 1/,
    },
    {
      name: "--no- flag with a value",
      argv: ["--no-read-only=true"],
      code: "CONFIG_INVALID_VALUE",
      message: /--no-read-only takes no value/,
    },
    {
      name: "missing config file",
      argv: ["--config=/nonexistent/config.yaml"],
      code: "CONFIG_FILE_UNREADABLE",
      message: /config file \/nonexistent\/config.yaml \(--config \/ CONFIG_FILE\): ENOENT/,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const error = configError(c.argv, c.env);
      expect(error.code).toBe(c.code);
      expect(error.message).toMatch(c.message);
    });
  }

  it("an unknown config key is named with its full path", () => {
    const path = configFile("yaml", "server:\n  jwe:\n    token_param: token\n");
    const error = configError(["--config", path]);
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toBe(`unknown config key "server.jwe.token_param" in ${path}`);
  });

  it("an unknown top-level key is named", () => {
    const error = configError(["--config", configFile("json", '{"oauth": {"enabled": true}}')]);
    expect(error.message).toMatch(/unknown config key "oauth"/);
  });

  it("a scalar where a section belongs is an unknown key", () => {
    const error = configError(["--config", configFile("yaml", "server: 8080\n")]);
    expect(error.message).toMatch(/unknown config key "server"/);
  });

  it("a wrongly typed config value names the key and the file", () => {
    const path = configFile("yaml", "server:\n  port: eighty\n");
    const error = configError(["--config", path]);
    expect(error.message).toBe(`config key server.port in ${path}: must be a whole number (got "eighty")`);
  });

  it("invalid YAML names the file and position without quoting the content", () => {
    const path = configFile("yaml", "server:\n  port: [1, 2\nsecret: hunter2hunter2\n");
    const error = configError(["--config", path]);
    expect(error.code).toBe("CONFIG_FILE_INVALID");
    expect(error.message).toMatch(new RegExp(`config file ${path} is not valid YAML/JSON`));
    expect(error.message).not.toContain("hunter2");
  });

  it("invalid JSON names the file", () => {
    const path = configFile("json", '{"server": {"port": 1,}}');
    expect(configError(["--config", path]).message).toMatch(/is not valid YAML\/JSON/);
  });

  it("a config file that is a list is refused", () => {
    expect(configError(["--config", configFile("yaml", "- a\n- b\n")]).message).toMatch(
      /must contain a mapping at the top level/,
    );
  });

  it("never echoes a secret value in an error", () => {
    const error = configError(["--jwe-previous-secret-keys"], {});
    expect(error.code).toBe("CONFIG_MISSING_VALUE");
    const path = configFile("yaml", "clickhouse:\n  password: [nested, list]\n");
    const typed = configError(["--config", path]);
    expect(typed.message).toBe(`config key clickhouse.password in ${path}: must be a string`);
  });
});

describe("warnings", () => {
  it("warns about secrets shorter than 32 characters, without printing them", () => {
    const r = resolveConfig(
      parseArgv([
        "--transport=sse",
        "--allow-jwe-auth",
        "--jwe-secret-key=short-jwe",
        "--jwt-secret-key=short-jwt",
      ]),
      { MCP_JWE_TOKEN_GENERATOR_KEY: "short-key" },
    );
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toMatch(/--jwe-secret-key .* is shorter than 32 characters/);
    expect(r.warnings[1]).toMatch(/--jwt-secret-key/);
    expect(r.warnings[2]).toMatch(/--jwe-token-generator-key/);
    expect(r.warnings.join("\n")).not.toMatch(/short-(jwe|jwt|key)/);
  });

  it("warns when TLS files are set but server TLS is off", () => {
    const r = resolveConfig(parseArgv(["--transport=http", "--server-tls-cert-file=/c"]), {});
    expect(r.warnings).toEqual([expect.stringMatching(/server TLS is off/)]);
    expect(r.config.http.tls).toBeUndefined();
  });

  it("warns that JWE has no effect with stdio", () => {
    const r = resolveConfig(parseArgv(["--allow-jwe-auth"]), { MCP_JWE_SECRET_KEY: SECRET });
    expect(r.warnings).toEqual([expect.stringMatching(/no effect with --transport=stdio/)]);
  });
});

describe("configSecrets", () => {
  it("lists every secret value in the config", () => {
    const config = loadConfig(
      [
        "--transport=http",
        "--allow-jwe-auth",
        `--jwe-secret-key=${SECRET}`,
        `--jwt-secret-key=${SECRET}t`,
        `--jwe-previous-secret-keys=${SECRET}p`,
        `--jwe-token-generator-key=${SECRET}k`,
        "--clickhouse-password=pw-123",
      ],
      {},
    );
    expect(configSecrets(config).sort()).toEqual(
      [SECRET, `${SECRET}k`, `${SECRET}p`, `${SECRET}t`, "pw-123"].sort(),
    );
  });
});

describe("defaultConnection", () => {
  it("maps the default ClickHouse to connection claims, leaving out empty values", () => {
    expect(defaultConnection(loadConfig([], {}).clickhouse)).toEqual({
      host: "localhost",
      port: 8123,
      database: "default",
      username: "default",
      protocol: "http",
    });
    const config = loadConfig(
      [
        "--clickhouse-password=pw",
        "--clickhouse-tls",
        "--clickhouse-tls-ca-cert=/ca",
        "--clickhouse-tls-client-cert=/c",
        "--clickhouse-tls-client-key=/k",
        "--clickhouse-tls-insecure-skip-verify",
      ],
      {},
    );
    expect(defaultConnection(config.clickhouse)).toEqual({
      host: "localhost",
      port: 8443,
      database: "default",
      username: "default",
      password: "pw",
      protocol: "http",
      tls_enabled: true,
      tls_ca_cert: "/ca",
      tls_client_cert: "/c",
      tls_client_key: "/k",
      tls_insecure_skip_verify: true,
    });
  });
});

describe("the option table", () => {
  it("has unique flags, env vars and keys", () => {
    const unique = (values: (string | undefined)[]) => {
      const defined = values.filter((v) => v !== undefined);
      return new Set(defined).size === defined.length;
    };
    expect(unique(OPTIONS.map((o) => o.flag))).toBe(true);
    expect(unique(OPTIONS.map((o) => ("env" in o ? o.env : undefined)))).toBe(true);
    expect(unique(OPTIONS.map((o) => ("key" in o ? o.key : undefined)))).toBe(true);
  });

  it("no config key is a prefix of another (a key is either a value or a section)", () => {
    const keys = OPTIONS.flatMap((o) => ("key" in o ? [o.key] : []));
    for (const key of keys) {
      expect(keys.filter((other) => other.startsWith(`${key}.`))).toEqual([]);
    }
  });
});
