// Config files written for the reference load unchanged: server.tools as in its docs/tools.md,
// server.dynamic_tools as in its README; mistakes are configuration errors naming the key.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../config/config-error.js";
import { renderHelp } from "../../config/flags.js";
import { loadConfig, resolveConfig } from "../../config/load-config.js";
import { parseArgv } from "../../config/parse-argv.js";

const dir = mkdtempSync(join(tmpdir(), "operator-tools-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function file(text: string, ext = "yaml"): string {
  const path = join(dir, `config-${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

// docs/tools.md, "Mixed read + write dynamic tools", with the ClickHouse block of its examples.
const REFERENCE_TOOLS = `
clickhouse:
  host: localhost
  port: 8123
  read_only: false

server:
  tools:
    - type: read
      name: execute_query
    - type: read
      view_regexp: "analytics\\\\..*_view"
      prefix: "ro_"
    - type: write
      table_regexp: "events\\\\..*"
      prefix: "log_"
      mode: insert
`;

// README.md's config.yaml, its dynamic_tools block.
const REFERENCE_DYNAMIC_TOOLS = `
server:
  transport: "http"
  address: "0.0.0.0"
  port: 8080
  dynamic_tools:
    - regexp: "mydb\\\\..*"
      prefix: "db_"
    - name: "get_user_data"
      regexp: "users\\\\.user_info_view"
logging:
  level: "info"
`;

describe("reference config files", () => {
  it("server.tools loads unchanged", () => {
    const { config, warnings } = resolveConfig(parseArgv(["--config", file(REFERENCE_TOOLS)]), {});
    expect(warnings).toEqual([]);
    const tools = config.operatorTools!;
    expect(tools.staticTools).toEqual(["execute_query"]);
    expect(tools.discoveryTtlMs).toBe(60_000);
    expect(tools.rules.map((r) => [r.type, r.source, r.prefix])).toEqual([
      ["read", "analytics\\..*_view", "ro_"],
      ["write", "events\\..*", "log_"],
    ]);
    expect(tools.rules[0]!.pattern.test("analytics.sessions_view")).toBe(true);
  });

  it("the deprecated server.dynamic_tools loads with a warning", () => {
    const { config, warnings } = resolveConfig(parseArgv(["--config", file(REFERENCE_DYNAMIC_TOOLS)]), {});
    expect(warnings).toContain("config key server.dynamic_tools is deprecated: use server.tools");
    expect(config.operatorTools!.rules.map((r) => [r.type, r.source, r.prefix, r.name])).toEqual([
      ["read", "mydb\\..*", "db_", undefined],
      ["read", "users\\.user_info_view", "", "get_user_data"],
    ]);
    expect(config.operatorTools!.staticTools).toBeUndefined();
  });

  it("the same in JSON, and the TTL from a flag, the environment or the file", () => {
    const json = file(
      JSON.stringify({ server: { tools: [{ type: "read", view_regexp: "^a\\." }], tools_discovery_ttl: 5 } }),
      "json",
    );
    expect(loadConfig(["--config", json], {}).operatorTools?.discoveryTtlMs).toBe(5000);
    expect(
      loadConfig(["--config", json], { MCP_TOOLS_DISCOVERY_TTL: "7" }).operatorTools?.discoveryTtlMs,
    ).toBe(7000);
    expect(loadConfig(["--config", json, "--tools-discovery-ttl=9"], {}).operatorTools?.discoveryTtlMs).toBe(
      9000,
    );
    expect(loadConfig([], {}).operatorTools).toEqual({ rules: [], discoveryTtlMs: 60_000 });
  });

  it("a bad rule is a configuration error naming the key", () => {
    const bad = file('server:\n  tools:\n    - type: read\n      view_regexp: "(["\n');
    let error: unknown;
    try {
      loadConfig(["--config", bad], {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe("server.tools[0].view_regexp");
    expect((error as ConfigError).message).toMatch(
      /^config key server\.tools\[0\]\.view_regexp: not a valid regular expression/,
    );
    const unknown = file('server:\n  tools:\n    - type: read\n      view_regex: "x"\n');
    expect(() => loadConfig(["--config", unknown], {})).toThrow(
      /unknown config key "server\.tools\[0\]\.view_regex"/,
    );
    expect(() => loadConfig(["--tools-discovery-ttl=0"], {})).toThrow(/--tools-discovery-ttl/);
  });

  it("--help lists the config-file only keys", () => {
    expect(renderHelp()).toMatch(/Config-file only[^\n]*\n {2}server\.tools\n/);
  });
});
