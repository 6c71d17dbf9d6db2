import { it } from "vitest";
import { startTestServer } from "../../src/test-support/http-fixture.js";
import { boundedLoop } from "./support.js";

it("rate", async () => {
  await using s = await startTestServer();
  const tok = await s.mint();
  const bad = `${tok.slice(0, 100)}A${tok.slice(101)}`;
  for (const [name, f] of [
    ["livez", () => fetch(`${s.url}/livez`)],
    ["bad sse", () => fetch(`${s.url}/${bad}/sse`)],
    ["bad mcp post", () => fetch(`${s.url}/${bad}/mcp`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })],
    ["garbage sse", () => fetch(`${s.url}/garbage/sse`)],
  ] as const) {
    const r = await boundedLoop({ count: 1000, budgetMs: 30000, concurrency: 16 }, async () => { const x = await (f as () => Promise<Response>)(); await x.text(); });
    console.log(name, r.elapsedMs);
  }
}, 60000);
