import { readFile } from "node:fs/promises";
import { connect as tlsConnect } from "node:tls";
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

/** Opens TLS to the proxy, writes `request` as raw bytes and returns everything read until the end. */
async function rawExchange(
  port: number,
  request: string,
  tls: { ca: string; cert?: string; key?: string },
): Promise<string> {
  const [ca, cert, key] = await Promise.all([
    readFile(tls.ca),
    tls.cert ? readFile(tls.cert) : undefined,
    tls.key ? readFile(tls.key) : undefined,
  ]);
  return new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ca, cert, key }, () => {
      socket.write(request);
    });
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("startTlsProxy in tcp mode", () => {
  const ping = "GET /ping HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n";

  it("pipes the bytes of a TLS connection to the port unchanged", async () => {
    // The HTTP port as the target shows the bytes arrive as sent: a raw request gets ClickHouse's answer.
    await using proxy = await startTlsProxy({ targetPort: info.httpPort, mode: "tcp" });
    const answer = await rawExchange(proxy.port, ping, { ca: proxy.caCertPath });
    expect(answer).toMatch(/^HTTP\/1\.[01] 200/);
    expect(answer).toMatch(/\r\n\r\nOk\.\n$/);
  });

  it("requires a client certificate from the test CA when asked to", async () => {
    await using proxy = await startTlsProxy({
      targetPort: info.httpPort,
      mode: "tcp",
      requireClientCert: true,
    });
    const ca = proxy.caCertPath;
    const withCert = { ca, cert: proxy.clientCertPath, key: proxy.clientKeyPath };
    expect(await rawExchange(proxy.port, ping, withCert)).toMatch(/Ok\.\n$/);
    const refused = await rawExchange(proxy.port, ping, { ca }).then(
      (text) => text,
      () => "",
    );
    expect(refused).toBe("");
  });
});
