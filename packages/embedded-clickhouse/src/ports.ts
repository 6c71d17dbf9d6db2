import { createServer } from "node:net";

export function checkPort(name: string, port: number | undefined): void {
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new TypeError(`${name} must be an integer between 1 and 65535`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
