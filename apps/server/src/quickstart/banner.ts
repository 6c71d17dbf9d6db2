/** What --quickstart prints: the banner with ready-to-paste URLs, and the token in them. */
import { type ConnectionClaims, DEFAULT_EXPIRES_IN, mintToken } from "@mcp/jwe";
import type { ServerConfig } from "../config/server-config.js";

/** Lifetime of the token printed at startup. */
export const QUICKSTART_TOKEN_SECONDS = 24 * 3600;

export interface BannerInput {
  config: ServerConfig;
  /** Base URL clients reach the server at, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  embedded: boolean;
  generatedSecrets: { jweSecretKey?: string; jwtSecretKey?: string };
}

/** Shell-quotes a value for the printed commands. */
function sh(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** The printed token's lifetime: a day, or less when the maximum token lifetime is shorter. */
function quickstartTokenSeconds(config: ServerConfig): number {
  return Math.min(QUICKSTART_TOKEN_SECONDS, config.jwe.maxTokenLifetimeSeconds);
}

/**
 * The token printed at startup, for the embedded demo ClickHouse only: its read-only demo user,
 * `read_only` so clients are not offered write_query, signed when a JWT secret is set.
 */
export async function mintQuickstartToken(
  config: ServerConfig,
  connection: ConnectionClaims,
): Promise<string> {
  const jweSecret = config.jwe.jweSecretKeys[0];
  if (!jweSecret) throw new TypeError("JWE is off: no token to mint");
  return mintToken(
    { ...connection, read_only: true },
    {
      jweSecret,
      jwtSecret: config.jwe.jwtSecretKey,
      expiresIn: quickstartTokenSeconds(config),
      maxTokenLifetime: config.jwe.maxTokenLifetimeSeconds,
    },
  );
}

/**
 * What `pnpm start` prints on stdout: ready-to-paste URLs and how to mint more tokens. Secrets
 * appear only when they were generated for this run (the user has no other way to learn them).
 */
export function renderBanner(input: BannerInput & { token?: string }): string {
  const { config, baseUrl, token, generatedSecrets } = input;
  const ch = config.clickhouse;
  const prefix = token ? `${baseUrl}/${token}` : config.jwe.allow ? `${baseUrl}/<token>` : baseUrl;
  const lines: string[] = [""];
  const where = input.embedded
    ? `embedded ClickHouse (database "${ch.database}", read-only user "${ch.username}")`
    : `ClickHouse at ${ch.host}:${ch.port}`;
  lines.push(`altinity-mcp is ready, serving ${where}.`, "");
  if (config.http.transports.includes("sse")) lines.push(`  SSE:              ${prefix}/sse`);
  if (config.http.transports.includes("http")) lines.push(`  Streamable HTTP:  ${prefix}/mcp`);
  lines.push("");

  if (!config.jwe.allow) {
    lines.push("JWE authentication is off: anyone who can reach these URLs uses the ClickHouse above.", "");
    return `${lines.join("\n")}\n`;
  }

  if (token) {
    const seconds = quickstartTokenSeconds(config);
    const lifetime =
      seconds >= 3600 ? `${Math.floor(seconds / 3600)} hours` : `${Math.floor(seconds / 60)} minutes`;
    lines.push(`The token in these URLs expires in ${lifetime}.`, "");
  } else {
    // A token for the operator's own user would be a credential in whatever collects stdout.
    lines.push(
      "No token is printed for a ClickHouse you configured: mint one (below) for the user and rights",
      "the agent should have, and put it in place of <token>.",
      "",
    );
  }
  if (generatedSecrets.jweSecretKey || generatedSecrets.jwtSecretKey) {
    lines.push(
      "Secrets were generated for this run. To mint more tokens, and to keep tokens valid after a restart,",
      "export them before the next `pnpm start`:",
    );
    if (generatedSecrets.jweSecretKey)
      lines.push(`  export MCP_JWE_SECRET_KEY=${sh(generatedSecrets.jweSecretKey)}`);
    if (generatedSecrets.jwtSecretKey)
      lines.push(`  export MCP_JWT_SECRET_KEY=${sh(generatedSecrets.jwtSecretKey)}`);
    lines.push("");
  }
  const mintArgs = [
    `--host=${sh(ch.host)}`,
    `--port=${ch.port}`,
    `--database=${sh(ch.database)}`,
    `--username=${sh(ch.username)}`,
    ...(ch.password && input.embedded
      ? [`--password=${sh(ch.password)}`]
      : ch.password
        ? ["--password=..."]
        : []),
    `--protocol=${ch.protocol}`,
    "--read-only",
    `--expiry=${DEFAULT_EXPIRES_IN}`,
    `--server-url=${baseUrl}`,
  ];
  const secretVars = config.jwe.jwtSecretKey
    ? "MCP_JWE_SECRET_KEY and MCP_JWT_SECRET_KEY"
    : "MCP_JWE_SECRET_KEY";
  // `pnpm token` is pnpm's own command (npm tokens): the script must be run with `pnpm run`.
  lines.push(
    `Mint more tokens (the generator reads ${secretVars} from the environment):`,
    `  pnpm -s run token ${mintArgs.join(" ")}`,
  );
  if (config.generator.enabled) {
    const body = {
      host: ch.host,
      port: ch.port,
      database: ch.database,
      username: ch.username,
      ...(input.embedded && ch.password ? { password: ch.password } : {}),
      protocol: ch.protocol,
      read_only: true,
      expiry: DEFAULT_EXPIRES_IN,
    };
    const auth = config.generator.operatorKey
      ? ' -H "Authorization: Bearer $MCP_JWE_TOKEN_GENERATOR_KEY"'
      : "";
    lines.push(
      "or ask this server:",
      `  curl -s -X POST ${baseUrl}/jwe-token-generator${auth} -H 'Content-Type: application/json' \\`,
      `    -d ${sh(JSON.stringify(body))}`,
    );
  }
  lines.push("");
  return `${lines.join("\n")}\n`;
}
