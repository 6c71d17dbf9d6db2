import { it } from "vitest";
import { harnessClaims, mcpUrl, startTestServer } from "../../src/test-support/http-fixture.js";
import { postMcp, toolCallMessage, initializeMessage } from "./support.js";

it("mixed", async () => {
  await using s = await startTestServer({ pool: { maxClients: 16 } });
  const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => s.mint({ ...harnessClaims(), database: `db${i}` })));
  const t0 = Date.now();
  const log = (...a: unknown[]) => console.log(Date.now() - t0, ...a);
  let httpDone = 0;
  const http = tokens.slice(0, 100).map(async (t, i) => {
    await Promise.all([0, 1, 2, 3].map(async () => {
      for (let k = 0; k < (process.env.NOCH ? 30 : 3); k++) {
        const r = await postMcp(mcpUrl(s.url, "http", t), (process.env.NOCH ? initializeMessage() : toolCallMessage(1, "execute_query", { query: "SELECT 1" })));
        await r.text();
        httpDone++;
      }
    }));
  });
  const { request } = await import("node:http");
  const probe = (async () => {
    await new Promise((r) => setTimeout(r, 1000));
    let a = Date.now();
    const r1 = await fetch(`${s.url}/livez`); await r1.text();
    log("livez via fetch", Date.now() - a, "httpDone", httpDone);
    a = Date.now();
    await new Promise<void>((resolve) => request(`${s.url}/livez`, { agent: false }, (res) => { res.resume(); res.on("end", () => resolve()); }).end());
    log("livez via node:http", Date.now() - a, "httpDone", httpDone);
  })();
  const sse = tokens.slice(100, 102).map(async (t, i) => {
    const a = Date.now();
    const res = await fetch(mcpUrl(s.url, "sse", t), { headers: { Accept: "text/event-stream" } });
    const reader = res.body!.getReader();
    let buf = "";
    while (!buf.includes("\n\n")) buf += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: (\S+)/.exec(buf)![1];
    const b = Date.now();
    const p = await fetch(`${s.url}${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(initializeMessage("init")) });
    const c = Date.now();
    while (!buf.includes('"id":"init"')) buf += new TextDecoder().decode((await reader.read()).value);
    const d = Date.now();
    log("sse", i, "open", b - a, "post", c - b, p.status, "reply", d - c, "httpDone", httpDone);
    await reader.cancel();
  });
  await Promise.all([...http, ...sse, probe]);
  log("done", httpDone);
}, 300000);
