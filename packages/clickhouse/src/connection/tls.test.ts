// TLS on both protocols, through the harness's TLS front in front of the embedded ClickHouse:
// HTTPS forwarding to its HTTP port, or (tcp mode) TLS forwarding to its plain native port, as
// ClickHouse's 8443 and 9440 would be.
import { copyFile, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { harness, startTlsProxy, type TlsProxy } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHousePool, DatabaseError, type PoolOptions } from "../index.js";
import type { ConnectionClaims } from "./claims.js";
import type { Protocol } from "./ports.js";

/** Where the two protocols differ; every test below runs for both. */
const PROTOCOLS: { protocol: Protocol; plain: string; targetPort: () => number }[] = [
  { protocol: "http", plain: "HTTP", targetPort: () => harness().httpPort },
  { protocol: "tcp", plain: "TCP", targetPort: () => harness().tcpPort },
];

describe.each(PROTOCOLS)("TLS over $protocol", ({ protocol, plain, targetPort }) => {
  let proxy: TlsProxy;
  let mutual: TlsProxy;
  let dir: string;

  beforeAll(async () => {
    const mode = protocol === "tcp" ? "tcp" : "http";
    [proxy, mutual] = await Promise.all([
      startTlsProxy({ targetPort: targetPort(), mode }),
      startTlsProxy({ targetPort: targetPort(), mode, requireClientCert: true }),
    ]);
    dir = await mkdtemp(path.join(os.tmpdir(), `clickhouse-tls-test-${protocol}-`));
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
      protocol,
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

  describe("TLS", () => {
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

    it(`speaking plain ${plain} to the TLS port fails clearly`, async () => {
      const { username, password } = harness().users.admin;
      const code = await connect({ host: "127.0.0.1", port: proxy.port, protocol, username, password });
      expect(["CONNECT_FAILED", "TLS_FAILED"]).toContain(code);
    });

    it("refuses files that are not valid PEM with TLS_FAILED", async () => {
      const bogus = path.join(dir, "bogus.pem");
      await writeFile(bogus, "not a certificate");
      expect(await connect(tlsClaims(proxy, { tls_ca_cert: bogus }))).toBe("TLS_FAILED");
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

    it("checks the host allow-list before connecting", async () => {
      const claims = tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath });
      expect(await connect(claims, { allowedHosts: ["db.internal"] })).toBe("HOST_NOT_ALLOWED");
      expect(await connect(claims, { allowedHosts: ["localhost"] })).toBe("HOST_NOT_ALLOWED"); // not a standard port
      expect(await connect(claims, { allowedHosts: [`localhost:${proxy.port}`] })).toBe("ok");
    });
  });

  describe("TLS directory allow-list", () => {
    it("checks TLS file claims against the allowed directories before reading them", async () => {
      const allowed = await mkdtemp(path.join(dir, "allowed-"));
      const options = { allowedTlsDirs: [allowed] };
      expect(await connect(tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath }), options)).toBe(
        "TLS_FILE_NOT_ALLOWED",
      );
      expect(
        await connect(tlsClaims(proxy, { tls_ca_cert: path.join(allowed, "missing.pem") }), options),
      ).toBe("TLS_FILE_UNREADABLE");
    });

    it("allows files inside the allowed directories, also reached through a symlinked directory", async () => {
      const certDir = path.dirname(proxy.caCertPath);
      const link = path.join(dir, "certs-link");
      await symlink(certDir, link);
      expect(
        await connect(tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath }), { allowedTlsDirs: [certDir] }),
      ).toBe("ok");
      expect(
        await connect(tlsClaims(proxy, { tls_ca_cert: proxy.caCertPath }), { allowedTlsDirs: [link] }),
      ).toBe("ok");
    });

    it("refuses files outside, `..` escapes and symlinks pointing outside, before reading them", async () => {
      const allowed = await mkdtemp(path.join(dir, "allowed-"));
      const symlinked = path.join(allowed, "ca.pem");
      await symlink(proxy.caCertPath, symlinked);
      const options = { allowedTlsDirs: [allowed] };
      // Starts with the allowed directory as text; only resolving `..` shows where it leads.
      const dotdot = `${allowed}/../${path.relative(path.dirname(allowed), proxy.caCertPath)}`;
      expect(dotdot.startsWith(allowed)).toBe(true);
      for (const file of [proxy.caCertPath, dotdot, symlinked]) {
        // Each path does lead to the CA: without the allow-list it connects.
        expect(await connect(tlsClaims(proxy, { tls_ca_cert: file }))).toBe("ok");
        expect({ file, code: await connect(tlsClaims(proxy, { tls_ca_cert: file }), options) }).toEqual({
          file,
          code: "TLS_FILE_NOT_ALLOWED",
        });
      }
    });

    it("checks client certificate and key paths too", async () => {
      const allowed = await mkdtemp(path.join(dir, "allowed-ca-only-"));
      await copyFile(mutual.caCertPath, path.join(allowed, "ca.pem"));
      const code = await connect(
        tlsClaims(mutual, {
          tls_ca_cert: path.join(allowed, "ca.pem"),
          tls_client_cert: mutual.clientCertPath,
          tls_client_key: mutual.clientKeyPath,
        }),
        { allowedTlsDirs: [allowed] },
      );
      expect(code).toBe("TLS_FILE_NOT_ALLOWED");
    });

    it("reports a missing file in an allowed directory as TLS_FILE_UNREADABLE", async () => {
      expect(
        await connect(tlsClaims(proxy, { tls_ca_cert: path.join(dir, "missing.pem") }), {
          allowedTlsDirs: [dir],
        }),
      ).toBe("TLS_FILE_UNREADABLE");
    });
  });
});
