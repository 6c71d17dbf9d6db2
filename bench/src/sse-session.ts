import * as http from "node:http";

/** An initialized legacy-SSE MCP session held open with nothing but a socket, as an idle agent holds one. */
export interface HeldSession {
  close(): void;
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2024-11-05",
    capabilities: {},
    clientInfo: { name: "bench-idle", version: "0.0.0" },
  },
};
const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };

function postOnce(base: URL, path: string, body: string, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/json" },
      },
      (response) => {
        response.resume();
        response.on("end", () =>
          response.statusCode === 202 ? resolve() : reject(new Error(`POST answered ${response.statusCode}`)),
        );
      },
    );
    request.on("error", (error: Error & { reusedSocket?: boolean }) => {
      error.reusedSocket = request.reusedSocket;
      reject(error);
    });
    request.end(body);
  });
}

/**
 * A kept-alive socket the server closes (its keep-alive timeout) just as a request goes out on it
 * fails with ECONNRESET; Node's documentation advises retrying such a request once.
 */
async function post(base: URL, path: string, message: unknown, agent: http.Agent): Promise<void> {
  const body = JSON.stringify(message);
  try {
    await postOnce(base, path, body, agent);
  } catch (error) {
    if (!(error as { reusedSocket?: boolean }).reusedSocket) throw error;
    await postOnce(base, path, body, agent);
  }
}

/**
 * GET /<token>/sse, wait for the endpoint event, POST initialize, wait for its answer on the
 * stream, POST notifications/initialized. Lighter than an SDK client per session, so a
 * thousand of them cost the bench little while the server holds real sessions.
 */
export function openHeldSession(
  base: URL,
  token: string,
  postAgent: http.Agent,
  timeoutMs: number,
): Promise<HeldSession> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`SSE session not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const request = http.get(
      {
        host: base.hostname,
        port: base.port,
        path: `/${token}/sse`,
        agent: false,
        headers: { accept: "text/event-stream" },
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          fail(new Error(`GET /sse answered ${response.statusCode}`));
          return;
        }
        response.setEncoding("utf8");
        let buffer = "";
        response.on("data", (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (event === "endpoint" && data) {
              post(base, data, INITIALIZE, postAgent).catch(fail);
              endpoint = data;
            } else if (event === "message" && data && endpoint && !settled) {
              const message = JSON.parse(data) as { id?: number; error?: unknown };
              if (message.id !== 1) continue;
              if (message.error) {
                fail(new Error("initialize failed"));
                continue;
              }
              post(base, endpoint, INITIALIZED, postAgent).then(() => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                resolve({ close: () => request.destroy() });
              }, fail);
            }
          }
        });
        response.on("error", (error) => fail(error));
        response.on("close", () => fail(new Error("SSE stream closed early")));
      },
    );
    let endpoint: string | undefined;
    request.on("error", (error) => fail(error));
  });
}
