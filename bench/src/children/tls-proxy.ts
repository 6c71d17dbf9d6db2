/** The test harness's TLS proxy in a process of its own, so its work does not share the bench's event loop. */
import { writeFileSync } from "node:fs";
import { startTlsProxy } from "@mcp/test-harness";
import { childArgs, required } from "./args.js";

const args = childArgs(process.argv.slice(2));
const proxy = await startTlsProxy({ targetPort: Number(required(args, "target-port")) });
writeFileSync(
  required(args, "ready-file"),
  JSON.stringify({ port: proxy.port, url: proxy.url, caCertPath: proxy.caCertPath }),
);

// Exit through process.exit so the proxy's certificate directory is removed by its exit hook.
process.on("SIGTERM", () => process.exit(0));
