import { readFile } from "node:fs/promises";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { describe, expect, it } from "vitest";
import { harness, startTlsProxy } from "./index.js";

const info = harness();
const { admin } = info.users;

async function version(url: string, tls: { ca: string; cert?: string; key?: string }): Promise<string> {
  const [ca_cert, cert, key] = await Promise.all([
    readFile(tls.ca),
    tls.cert ? readFile(tls.cert) : undefined,
    tls.key ? readFile(tls.key) : undefined,
  ]);
  const client = createClient({
    url,
    username: admin.username,
    password: admin.password,
    tls: cert && key ? { ca_cert, cert, key } : { ca_cert },
    max_open_connections: 1,
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const rows = await (await client.query({ query: "SELECT version() AS v", format: "JSONEachRow" })).json<{
      v: string;
    }>();
    return rows[0]?.v ?? "";
  } finally {
    await client.close();
  }
}

describe("startTlsProxy", () => {
  it("serves ClickHouse over TLS with a certificate for localhost", async () => {
    await using proxy = await startTlsProxy({ targetPort: info.httpPort });
    expect(proxy.url).toBe(`https://localhost:${proxy.port}`);
    expect(await version(proxy.url, { ca: proxy.caCertPath })).toBe(info.version);
    expect(await version(`https://127.0.0.1:${proxy.port}`, { ca: proxy.caCertPath })).toBe(info.version);
  });

  it("is refused by a client that trusts another CA", async () => {
    await using proxy = await startTlsProxy({ targetPort: info.httpPort });
    await expect(version(proxy.url, { ca: proxy.otherCaCertPath! })).rejects.toThrow(/certificate/i);
  });

  it("requires a client certificate from the test CA when asked to", async () => {
    await using proxy = await startTlsProxy({ targetPort: info.httpPort, requireClientCert: true });
    const ca = proxy.caCertPath;
    expect(await version(proxy.url, { ca, cert: proxy.clientCertPath, key: proxy.clientKeyPath })).toBe(
      info.version,
    );
    await expect(version(proxy.url, { ca })).rejects.toThrow();
    await expect(
      version(proxy.url, { ca, cert: proxy.otherClientCertPath!, key: proxy.otherClientKeyPath! }),
    ).rejects.toThrow();
  });
});
