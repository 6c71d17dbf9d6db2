import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type Server, type Socket, connect as tcpConnect } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { promisify } from "node:util";
import { inject } from "vitest";

const run = promisify(execFile);

export interface TlsProxyOptions {
  /** The plain port to forward to on 127.0.0.1 (e.g. `harness().httpPort`, or `tcpPort` in tcp mode). */
  targetPort: number;
  /**
   * `http` (default): an HTTPS server forwarding each request to the HTTP port. `tcp`: TLS
   * terminated and the bytes piped to the port as they are, for the native protocol (9440 in
   * front of 9000).
   */
  mode?: "http" | "tcp";
  /**
   * Demand a client certificate signed by the test CA (mutual TLS), checked by the proxy; the
   * `X-ClickHouse-SSL-Certificate-Auth` header is dropped so ClickHouse authenticates by password.
   * Default: false.
   */
  requireClientCert?: boolean;
}

export interface TlsProxy extends AsyncDisposable {
  port: number;
  /** `https://localhost:PORT` (the server certificate names localhost and 127.0.0.1); meaningless in tcp mode. */
  url: string;
  /** The test CA that signed the server and client certificates. */
  caCertPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  /** A second CA that signed nothing the proxy trusts or presents (for "wrong CA" tests). */
  otherCaCertPath?: string;
  /** A client certificate and key signed by the other CA (rejected when client certs are required). */
  otherClientCertPath?: string;
  otherClientKeyPath?: string;
  close(): Promise<void>;
}

interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCaCert: string;
  otherClientCert: string;
  otherClientKey: string;
}

const openssl = (dir: string, args: string[]) => run("openssl", args, { cwd: dir });
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
}

async function makeLeaf(dir: string, name: string, ca: string, extensions: string): Promise<void> {
  await writeFile(path.join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    "req",
    ...EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  ]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

async function certificateDir(): Promise<string> {
  // Inside a vitest run the global setup's scratch directory is removed at teardown, even when
  // the worker that made the certificates is killed rather than exiting.
  let scratch: string | undefined;
  try {
    scratch = inject("testHarnessScratchDir");
  } catch {
    // Not inside a vitest worker.
  }
  if (scratch) return mkdtemp(path.join(scratch, "tls-"));
  const dir = await mkdtemp(path.join(os.tmpdir(), "test-harness-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function makeCertificates(): Promise<Certificates> {
  const dir = await certificateDir();
  await Promise.all([makeCa(dir, "test-ca"), makeCa(dir, "other-ca")]);
  await Promise.all([
    makeLeaf(
      dir,
      "server",
      "test-ca",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    ),
    makeLeaf(dir, "client", "test-ca", "extendedKeyUsage=clientAuth\n"),
    makeLeaf(dir, "other-client", "other-ca", "extendedKeyUsage=clientAuth\n"),
  ]);
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    caCert: file("test-ca.crt"),
    serverCert: file("server.crt"),
    serverKey: file("server.key"),
    clientCert: file("client.crt"),
    clientKey: file("client.key"),
    otherCaCert: file("other-ca.crt"),
    otherClientCert: file("other-client.crt"),
    otherClientKey: file("other-client.key"),
  };
}

// One set of certificates per test process: making them costs ~100 ms of openssl runs.
let certificates: Promise<Certificates> | undefined;

/**
 * Starts a TLS front on 127.0.0.1: HTTPS forwarding each request to the plain HTTP port, or (mode
 * `tcp`) TLS piping bytes to the plain native port; with certificates made at test time (a test CA, a server certificate for localhost/127.0.0.1, a client
 * certificate, and an unrelated CA and client certificate for negative tests).
 */
export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  certificates ??= makeCertificates();
  const certs = await certificates;
  const requireClientCert = options.requireClientCert ?? false;
  const [key, cert, ca] = await Promise.all([
    readFile(certs.serverKey),
    readFile(certs.serverCert),
    readFile(certs.caCert),
  ]);
  const tlsOptions = { key, cert, ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert };
  const server =
    options.mode === "tcp"
      ? tcpFront(tlsOptions, options.targetPort)
      : httpsFront(tlsOptions, options.targetPort);
  // Failed handshakes (a missing or foreign client certificate) are the expected outcome of some tests.
  server.server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.server.close(() => resolve());
      server.closeAll();
    });
    return closing;
  };
  return {
    port,
    url: `https://localhost:${port}`,
    caCertPath: certs.caCert,
    clientCertPath: certs.clientCert,
    clientKeyPath: certs.clientKey,
    otherCaCertPath: certs.otherCaCert,
    otherClientCertPath: certs.otherClientCert,
    otherClientKeyPath: certs.otherClientKey,
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface TlsServerOptions {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

interface Front {
  server: Server;
  closeAll(): void;
}

function httpsFront(tlsOptions: TlsServerOptions, targetPort: number): Front {
  const server = createHttpsServer(tlsOptions, (request, response) => {
    const headers: OutgoingHttpHeaders = { ...request.headers, connection: "close" };
    // The proxy has done the TLS work ClickHouse would do; the engine behind it has no TLS, so
    // it must not be asked to authenticate by certificate (@clickhouse/client sends this
    // header with a client certificate). ClickHouse still checks the user and password.
    delete headers["x-clickhouse-ssl-certificate-auth"];
    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port: targetPort,
        method: request.method,
        path: request.url,
        headers,
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    // A client that goes away cancels its query upstream, as it would against ClickHouse itself.
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  });
  return { server, closeAll: () => server.closeAllConnections() };
}

function tcpFront(tlsOptions: TlsServerOptions, targetPort: number): Front {
  const open = new Set<Socket>();
  const server = createTlsServer(tlsOptions, (client) => {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    open.add(client);
    open.add(upstream);
    // Ends are passed on as ends (FIN), never as resets: the embedded engine exits when a
    // native-protocol client resets its connection.
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.end());
    upstream.on("error", () => client.end());
    client.on("close", () => open.delete(client));
    upstream.on("close", () => open.delete(upstream));
  });
  return {
    server,
    closeAll: () => {
      for (const socket of open) socket.end();
    },
  };
}
