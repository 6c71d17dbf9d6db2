// TLS to the native port (ClickHouse's 9440 in production), through a TLS front on the
// embedded server's plain native port.
import { readFile } from "node:fs/promises";
import { FIXTURE_TABLES, harness, startTlsProxy, type TlsProxy } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./connection.js";
import type { ConnectionOptions } from "./options.js";

const info = harness();
let proxy: TlsProxy;
let mutual: TlsProxy;
let ca: Buffer;
let base: ConnectionOptions;

beforeAll(async () => {
  [proxy, mutual] = await Promise.all([
    startTlsProxy({ targetPort: info.tcpPort, mode: "tcp" }),
    startTlsProxy({ targetPort: info.tcpPort, mode: "tcp", requireClientCert: true }),
  ]);
  ca = await readFile(proxy.caCertPath);
  base = {
    host: "127.0.0.1",
    port: proxy.port,
    username: info.users.admin.username,
    password: info.users.admin.password,
    connectTimeoutMs: 5_000,
  };
});

afterAll(async () => {
  await Promise.all([proxy?.close(), mutual?.close()]);
});

describe("native protocol over TLS", () => {
  it("verifies the server with the given CA, then queries, streams and pings", async () => {
    await using connection = await connect({ ...base, tls: { ca } });
    expect(connection.revision).toBe(54460);
    const result = await connection.query(
      `SELECT id, label FROM ${FIXTURE_TABLES.big} WHERE id < 50000 ORDER BY id`,
      {
        compression: true,
      },
    );
    const { rows } = await result.collect();
    expect(rows).toHaveLength(50_000);
    expect(rows[49_999]).toEqual(["49999", "row-49999"]);
    await connection.ping();
  });

  it("refuses a server certificate it cannot verify", async () => {
    await expect(connect({ ...base, tls: true })).rejects.toMatchObject({ code: "TLS_FAILED" });
    const otherCa = await readFile(proxy.otherCaCertPath!);
    await expect(connect({ ...base, tls: { ca: otherCa } })).rejects.toMatchObject({ code: "TLS_FAILED" });
  });

  it("skips verification when asked to", async () => {
    await using connection = await connect({ ...base, tls: { rejectUnauthorized: false } });
    expect((await (await connection.query("SELECT 1")).collect()).rows).toEqual([[1]]);
  });

  it("presents a client certificate when the server requires one", async () => {
    const [mutualCa, cert, key] = await Promise.all([
      readFile(mutual.caCertPath),
      readFile(mutual.clientCertPath),
      readFile(mutual.clientKeyPath),
    ]);
    await using connection = await connect({ ...base, port: mutual.port, tls: { ca: mutualCa, cert, key } });
    expect((await (await connection.query("SELECT 2")).collect()).rows).toEqual([[2]]);
  });

  it("fails with TLS_FAILED without a client certificate, or with one the server does not trust", async () => {
    const mutualCa = await readFile(mutual.caCertPath);
    await expect(connect({ ...base, port: mutual.port, tls: { ca: mutualCa } })).rejects.toMatchObject({
      code: "TLS_FAILED",
    });
    const [cert, key] = await Promise.all([
      readFile(mutual.otherClientCertPath!),
      readFile(mutual.otherClientKeyPath!),
    ]);
    await expect(
      connect({ ...base, port: mutual.port, tls: { ca: mutualCa, cert, key } }),
    ).rejects.toMatchObject({
      code: "TLS_FAILED",
    });
  });

  it("fails clearly when plain TCP meets a TLS port", async () => {
    await expect(connect(base)).rejects.toMatchObject({ code: "CONNECT_FAILED" });
  });
});
