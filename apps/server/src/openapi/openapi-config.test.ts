import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../config/config-error.js";
import { loadConfig, resolveConfig } from "../config/load-config.js";
import { parseArgv } from "../config/parse-argv.js";

const dir = mkdtempSync(join(tmpdir(), "mcp-openapi-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const http = ["--transport=http"];

describe("--openapi", () => {
  it("is off by default", () => {
    expect(loadConfig(http, {}).http.openapi).toBeUndefined();
  });

  it("takes disable, http or https from the flag or MCP_OPENAPI, as the reference does", () => {
    expect(loadConfig([...http, "--openapi=http"], {}).http.openapi).toBe("http");
    expect(loadConfig([...http, "--openapi", "https"], {}).http.openapi).toBe("https");
    expect(loadConfig(http, { MCP_OPENAPI: "https" }).http.openapi).toBe("https");
    expect(loadConfig([...http, "--openapi=disable"], { MCP_OPENAPI: "http" }).http.openapi).toBeUndefined();
    expect(() => loadConfig([...http, "--openapi=yes"], {})).toThrow(ConfigError);
    expect(() => loadConfig([...http, "--openapi=yes"], {})).toThrow(/must be one of disable, http, https/);
  });

  it("reads the reference's config keys server.openapi.enabled and server.openapi.tls; the flag wins", () => {
    const on = configFile(
      "on.yaml",
      "server:\n  transport: sse\n  openapi:\n    enabled: true\n    tls: false\n",
    );
    const tls = configFile(
      "tls.yaml",
      "server:\n  transport: sse\n  openapi:\n    enabled: true\n    tls: true\n",
    );
    const off = configFile(
      "off.yaml",
      "server:\n  transport: sse\n  openapi:\n    enabled: false\n    tls: true\n",
    );
    expect(loadConfig([`--config=${on}`], {}).http.openapi).toBe("http");
    expect(loadConfig([`--config=${tls}`], {}).http.openapi).toBe("https");
    expect(loadConfig([`--config=${off}`], {}).http.openapi).toBeUndefined();
    expect(loadConfig([`--config=${tls}`, "--openapi=disable"], {}).http.openapi).toBeUndefined();
    expect(loadConfig([`--config=${off}`], { MCP_OPENAPI: "http" }).http.openapi).toBe("http");
  });

  it("has no effect with stdio: a warning, not a refusal, so a reference config file still starts", () => {
    const result = resolveConfig(parseArgv(["--transport=stdio", "--openapi=http"]), {});
    expect(result.config.http.openapi).toBeUndefined();
    expect(result.warnings.join("\n")).toMatch(
      /--openapi \/ MCP_OPENAPI has no effect with --transport=stdio/,
    );
  });
});
