// TLS to the native port (ClickHouse's 9440), through the harness's TLS front in tcp mode in front
// of the embedded ClickHouse's plain native port.
import { copyFile, mkdtemp, rm, unlink } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { harness, startTlsProxy, type TlsProxy } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHousePool, DatabaseError, type PoolOptions } from "../index.js";
import type { ConnectionClaims } from "./claims.js";

let proxy: TlsProxy;
let mutual: TlsProxy;
let dir: string;

beforeAll(async () => {
  const targetPort = harness().tcpPort;
  [proxy, mutual] = await Promise.all([
    startTlsProxy({ targetPort, mode: "tcp" }),
    startTlsProxy({ targetPort, mode: "tcp", requireClientCert: true }),
  ]);
  dir = await mkdtemp(path.join(os.tmpdir(), "clickhouse-native-tls-test-"));
});

afterAll(async () => {
  await Promise.all([proxy?.close(), mutual?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function tlsClaims(target: TlsProxy, extra: ConnectionClaims): ConnectionClaims {
  const { username, password } = harness().users.admin;
  return {
    host: "localhost",
    port: target.port,
    protocol: "tcp",
    username,
    password,
    tls_enabled: true,
    ...extra,
  };
}

/** Runs a query through a fresh pool; returns "ok" or the error code. */
async function connect(claims: ConnectionClaims, options: PoolOptions = {}): Promise<string> {
  await using pool = createClickHousePool(options);
  try {
    const result = await pool.withClient(claims, (client) =>
      client.executeQuery("SELECT 1 AS one, currentUser() AS user", { readOnly: true }),
    );
    expect(result.rows).toEqual([{ one: 1, user: claims.username }]);
    return "ok";
  } catch (error) {
    if (error instanceof DatabaseError) return error.code;
    throw error;
  }
}

describe("native protocol over TLS", () => {
  it("connects with the claimed CA and streams a capped result", async () => {
    expect(await connect(tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath }))).toBe("ok");
    await using pool = createClickHousePool();
    const result = await pool.withClient(tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath }), (client) =>
      client.executeQuery("SELECT number FROM numbers(100000)", { readOnly: true, maxRows: 50_000 }),
    );
    expect(result.rowCount).toBe(50_000);
    expect(result.truncated).toEqual({ reason: "rows", limit: 50_000 });
  });

  it("refuses a server whose certificate the CA did not sign, or without a CA (TLS_FAILED)", async () => {
    expect(await connect(tlsClaims(proxy, { tls_ca_cert: proxy.otherCaCertPath! }))).toBe("TLS_FAILED");
    expect(await connect(tlsClaims(proxy, {}))).toBe("TLS_FAILED");
  });

  it("honours tls_insecure_skip_verify", async () => {
    expect(await connect(tlsClaims(proxy, { tls_insecure_skip_verify: true }))).toBe("ok");
  });

  it("presents the claimed client certificate to a server that requires one", async () => {
    const ca = mutual.caCertPath;
    expect(
      await connect(
        tlsClaims(mutual, {
          tls_ca_cert: ca,
          tls_client_cert: mutual.clientCertPath,
          tls_client_key: mutual.clientKeyPath,
        }),
      ),
    ).toBe("ok");
    expect(await connect(tlsClaims(mutual, { tls_ca_cert: ca }))).toBe("TLS_FAILED");
    expect(
      await connect(
        tlsClaims(mutual, {
          tls_ca_cert: ca,
          tls_client_cert: mutual.otherClientCertPath!,
          tls_client_key: mutual.otherClientKeyPath!,
        }),
      ),
    ).toBe("TLS_FAILED");
  });

  it("speaking plain TCP to the TLS port fails clearly", async () => {
    const { username, password } = harness().users.admin;
    const code = await connect({ host: "127.0.0.1", port: proxy.port, protocol: "tcp", username, password });
    expect(["CONNECT_FAILED", "TLS_FAILED"]).toContain(code);
  });

  it("reads the TLS files once per pooled client", async () => {
    const ca = path.join(dir, "once-ca.pem");
    await copyFile(proxy.caCertPath, ca);
    await using pool = createClickHousePool({ allowedTlsDirs: [dir] });
    const claims = tlsClaims(proxy, { tls_ca_cert: ca });
    await pool.withClient(claims, (client) => client.ping());
    await unlink(ca);
    await pool.withClient(claims, (client) => client.ping());
    expect(pool.stats()).toMatchObject({ creations: 1, hits: 1 });
  });

  it("checks TLS file claims against the allowed directories before reading them", async () => {
    const allowed = await mkdtemp(path.join(dir, "allowed-"));
    const options = { allowedTlsDirs: [allowed] };
    expect(await connect(tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath }), options)).toBe(
      "TLS_FILE_NOT_ALLOWED",
    );
    expect(await connect(tlsClaims(proxy, { tls_ca_cert: path.join(allowed, "missing.pem") }), options)).toBe(
      "TLS_FILE_UNREADABLE",
    );
  });

  it("checks the host allow-list before connecting", async () => {
    const claims = tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath });
    expect(await connect(claims, { allowedHosts: ["db.internal"] })).toBe("HOST_NOT_ALLOWED");
    expect(await connect(claims, { allowedHosts: ["localhost"] })).toBe("HOST_NOT_ALLOWED"); // not a standard port
    expect(await connect(claims, { allowedHosts: [`localhost:${proxy.port}`] })).toBe("ok");
  });
});
