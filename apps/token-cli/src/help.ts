import { DEFAULT_EXPIRES_IN, DEFAULT_MAX_TOKEN_LIFETIME } from "@mcp/jwe/defaults";

export const GENERAL_HELP = `jwe-token-generator: mint and inspect ClickHouse connection tokens for altinity-mcp

Usage:
  jwe-token-generator [flags]                 mint a token (printed alone on stdout)
  jwe-token-generator inspect [token|-] [flags]
                                              decrypt a token (argument or stdin) and show it
  jwe-token-generator keygen                  print two random secrets as environment variables
  jwe-token-generator help [command]          show help

Secrets (a flag wins over its environment variable; there is no default):
  --jwe-secret-key <s>        encrypts the token                     env MCP_JWE_SECRET_KEY (required)
  --jwt-secret-key <s>        signs the inner JWT (HS256); without it
                              the token is unsigned (cty JSON)       env MCP_JWT_SECRET_KEY

Connection claims (only the flags you give become claims):
  --host <name>               ClickHouse host
  --port <1-65535>            ClickHouse port
  --database <name>           database
  --username <name>           user
  --password <s>              password
  --protocol <http|tcp>       http (ports 8123/8443) or tcp, the native
                              protocol (ports 9000/9440 with TLS)
  --tls                       enable TLS (the --tls-* flags require it)
  --tls-ca-cert <path>        CA certificate path (on the server)
  --tls-client-cert <path>    client certificate path (on the server)
  --tls-client-key <path>     client key path (on the server)
  --tls-insecure-skip-verify  skip server certificate verification

Limits (may only tighten the server's own limits):
  --limit <n>                 maximum rows per query result
  --read-only                 allow read-only queries only
  --max-execution-time <s>    query time limit in seconds
  --max-rows-to-read <n>      read budget: most rows a query may read (not in the reference)
  --max-bytes-to-read <n>     read budget: most uncompressed bytes a query may read

Token and output:
  --expiry <seconds>          lifetime, a positive integer (default ${DEFAULT_EXPIRES_IN}), at most
                              the maximum token lifetime
  --max-token-lifetime <s>    the servers' maximum token lifetime (default ${DEFAULT_MAX_TOKEN_LIFETIME},
                              30 days; env MCP_JWE_MAX_TOKEN_LIFETIME); longer
                              --expiry is refused
  --server-url <url>          base of the URL printed on stderr (default http://localhost:8080)
  --output <text|json>        text: token on stdout, URL on stderr (default);
                              json: {"token","expires_at","url"} on stdout
  -h, --help                  show help

Flags take --flag=value or --flag value; booleans are bare (--tls) or --tls=true|false
(also 1|0, yes|no, on|off).

Exit codes: 0 success, 1 invalid or expired token (inspect) or unexpected failure, 2 usage error.

Examples:
  export MCP_JWE_SECRET_KEY=... MCP_JWT_SECRET_KEY=...
  jwe-token-generator --host=clickhouse.example.com --port=8123 --username=alice --password=pw
  TOKEN=$(jwe-token-generator --host=ch.example.com --port=9440 --protocol=tcp --tls --tls-ca-cert=/etc/ca.crt)
  jwe-token-generator inspect "$TOKEN"
`;

export const INSPECT_HELP = `Usage: jwe-token-generator inspect [token|-] [flags]

Decrypts a token and prints its claims (password redacted), whether it is signed and when it
expires. Reads the token from stdin when no argument (or "-") is given.

Flags:
  --jwe-secret-key <s>   JWE secret; repeat to try previous secrets too   env MCP_JWE_SECRET_KEY
  --jwt-secret-key <s>   JWT secret; required to inspect a signed token    env MCP_JWT_SECRET_KEY
  --max-token-lifetime <s>  longest lifetime a valid token may have left (default ${DEFAULT_MAX_TOKEN_LIFETIME},
                         30 days)                                          env MCP_JWE_MAX_TOKEN_LIFETIME
  --output <text|json>   output format (default text)
  -h, --help             show this help

Exit codes: 0 valid, 1 invalid, expired, not yet valid or expiring beyond the maximum lifetime
(the reason on stderr), 2 usage error.
`;

export const KEYGEN_HELP = `Usage: jwe-token-generator keygen

Prints two random 256-bit secrets, base64url-encoded, in environment-variable form:
  MCP_JWE_SECRET_KEY=...
  MCP_JWT_SECRET_KEY=...
For example: jwe-token-generator keygen > .env

Exit codes: 0 success, 2 usage error.
`;
