import type { Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { createAdaptorServer } from "@hono/node-server";
import type { HttpConfig } from "../config/server-config.js";
import type { ServerTlsMaterial } from "../config/tls-files.js";

/** After the app has drained, how long responses still being written may take before sockets are cut. */
const RESPONSE_FLUSH_MS = 2_000;

export interface HttpServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  http: Pick<HttpConfig, "address" | "requestTimeoutMs">;
  tls?: ServerTlsMaterial;
}

/**
 * Node's HTTP(S) server around the app, not yet listening. Against slowloris: headers and body
 * must arrive within the request timeout (checked every second, not Node's default 30 s). Only
 * receiving the request is timed, so SSE streams and long tool calls are unaffected.
 */
export function createHttpServer({ fetch, http, tls }: HttpServerOptions): Server {
  const timeouts = {
    headersTimeout: http.requestTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, http.requestTimeoutMs),
  };
  return createAdaptorServer({
    fetch,
    hostname: http.address,
    ...(tls
      ? {
          createServer: createHttpsServer,
          serverOptions: {
            ...timeouts,
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
        }
      : { serverOptions: timeouts }),
  }) as Server;
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** The URL to show for a listening address (a wildcard address shows as 127.0.0.1). */
export function displayUrl(scheme: "http" | "https", address: AddressInfo): string {
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const host = wildcard ? "127.0.0.1" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

/**
 * Prepares a graceful close and returns it: no new connections, `drain` (the app's shutdown)
 * awaited, then whatever responses are still being written get RESPONSE_FLUSH_MS before the
 * sockets are cut. While closing, a keep-alive connection is closed as soon as its response is
 * out, so that responses of in-flight calls are delivered whole and then nothing holds the
 * server open.
 */
export function gracefulClose(server: Server, drain: () => Promise<void>): () => Promise<void> {
  let closing = false;
  server.on("request", (_req, res: ServerResponse) => {
    res.once("finish", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return async () => {
    closing = true;
    server.close(); // no new connections; idle keep-alive connections are closed now
    await drain();
    server.closeIdleConnections();
    const flushed = await Promise.race([closed.then(() => true), delay(RESPONSE_FLUSH_MS, false)]);
    if (!flushed) server.closeAllConnections();
    await closed;
  };
}
