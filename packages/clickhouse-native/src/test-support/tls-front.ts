// A TLS front for a plain TCP port, for the native-protocol TLS tests. The harness's
// startTlsProxy works at the HTTP level (it rewrites requests), so it cannot carry the native
// protocol; this one terminates TLS and pipes bytes. Same fields as the harness's TlsProxy.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createServer } from "node:tls";
import { promisify } from "node:util";

const run = promisify(execFile);
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export interface TlsFront extends AsyncDisposable {
  port: number;
  caCertPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  otherCaCertPath: string;
  otherClientCertPath: string;
  otherClientKeyPath: string;
  close(): Promise<void>;
}

async function makeCertificates(dir: string): Promise<void> {
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
  const ca = (name: string) =>
    openssl([
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
  const leaf = async (name: string, signer: string, extensions: string) => {
    await writeFile(path.join(dir, `${name}.ext`), extensions);
    await openssl([
      "req",
      ...EC_KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name}`,
    ]);
    await openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", `${signer}.crt`, "-CAkey", `${signer}.key`].concat([
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
      ]),
    );
  };
  await Promise.all([ca("test-ca"), ca("other-ca")]);
  await Promise.all([
    leaf("server", "test-ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
    leaf("client", "test-ca", "extendedKeyUsage=clientAuth\n"),
    leaf("other-client", "other-ca", "extendedKeyUsage=clientAuth\n"),
  ]);
}

/** Listens on 127.0.0.1 with TLS and forwards each connection's bytes to `targetPort`. */
export async function startTlsFront(options: {
  targetPort: number;
  requireClientCert?: boolean;
}): Promise<TlsFront> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "native-tls-"));
  await makeCertificates(dir);
  const file = (name: string) => path.join(dir, name);
  const [key, cert, ca] = await Promise.all([
    readFile(file("server.key")),
    readFile(file("server.crt")),
    readFile(file("test-ca.crt")),
  ]);
  const requireClientCert = options.requireClientCert ?? false;
  const open = new Set<Socket>();
  const server = createServer(
    { key, cert, ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert },
    (client) => {
      const upstream = connect(options.targetPort, "127.0.0.1");
      open.add(client);
      open.add(upstream);
      // Ends are passed on as ends (FIN), never as resets: the embedded server exits when a client resets.
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("error", () => upstream.end());
      upstream.on("error", () => client.end());
      client.on("close", () => open.delete(client));
      upstream.on("close", () => open.delete(upstream));
    },
  );
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const socket of open) socket.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    })();
    return closing;
  };
  return {
    port: typeof address === "object" && address ? address.port : 0,
    caCertPath: file("test-ca.crt"),
    clientCertPath: file("client.crt"),
    clientKeyPath: file("client.key"),
    otherCaCertPath: file("other-ca.crt"),
    otherClientCertPath: file("other-client.crt"),
    otherClientKeyPath: file("other-client.key"),
    close,
    [Symbol.asyncDispose]: close,
  };
}
