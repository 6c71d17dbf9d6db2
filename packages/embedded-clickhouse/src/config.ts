import { createHash } from "node:crypto";

/** A user of the embedded server. */
export interface EmbeddedUser {
  name: string;
  password: string;
  /** `readwrite` (default), `readonly` (readonly=1: no writes, no setting changes), `readonly2` (readonly=2: no writes). */
  profile?: "readwrite" | "readonly" | "readonly2";
  /** Databases the user may use; `undefined` means all. */
  databases?: string[];
}

/**
 * clickhouse-local always opens its own session as a password-less `default` user, so that
 * name is taken by the engine and cannot be configured.
 */
export const ENGINE_USER = "default";

/** The profile of ENGINE_USER: readonly=1 (see renderUsersXml). */
const ENGINE_PROFILE = "engine_session";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateUsers(users: readonly EmbeddedUser[]): void {
  const seen = new Set<string>();
  for (const user of users) {
    if (!NAME.test(user.name)) {
      throw new TypeError(`User name ${JSON.stringify(user.name)} must match ${NAME}`);
    }
    if (user.name === ENGINE_USER) {
      throw new TypeError(`User name "${ENGINE_USER}" is reserved by the engine's own session`);
    }
    if (seen.has(user.name)) throw new TypeError(`User ${user.name} is configured twice`);
    seen.add(user.name);
    if (typeof user.password !== "string" || user.password.length === 0) {
      throw new TypeError(`User ${user.name} needs a non-empty password`);
    }
    for (const database of user.databases ?? []) {
      if (!NAME.test(database)) {
        throw new TypeError(`Database name ${JSON.stringify(database)} must match ${NAME}`);
      }
    }
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const PROFILE_ELEMENT = { readwrite: "default", readonly: "readonly", readonly2: "readonly2" } as const;

function userXml(user: EmbeddedUser, admin: boolean): string {
  const sha256 = createHash("sha256").update(user.password).digest("hex");
  const grants =
    user.databases === undefined
      ? ""
      : `<grants>${user.databases.map((db) => `<query>GRANT ALL ON \`${db}\`.*</query>`).join("")}</grants>`;
  return [
    `<${user.name}>`,
    `<password_sha256_hex>${sha256}</password_sha256_hex>`,
    `<profile>${PROFILE_ELEMENT[user.profile ?? "readwrite"]}</profile>`,
    "<quota>default</quota>",
    "<networks><ip>127.0.0.1</ip><ip>::1</ip></networks>",
    admin
      ? "<access_management>1</access_management><named_collection_control>1</named_collection_control>"
      : "",
    grants,
    `</${user.name}>`,
  ].join("");
}

/** users.xml: passwords are stored as SHA-256 only. */
export function renderUsersXml(users: readonly EmbeddedUser[], adminName: string): string {
  // The engine's own session needs only to open the listeners and read its stdin (a temporary
  // File table). Anyone on the loopback interface can log in as `default` too (its session's
  // address counts as local, so no <networks> rule tells them apart), so its profile is
  // readonly=1: over the network it cannot create that kind of table (which would read and write
  // files), stop the listeners or lift readonly. The engine's own session gets `--readonly=0` on
  // the command line, which only it receives.
  const engineUser = [
    `<${ENGINE_USER}>`,
    "<password></password>",
    `<profile>${ENGINE_PROFILE}</profile>`,
    "<quota>default</quota>",
    "<networks><ip>127.0.0.1</ip><ip>::1</ip></networks>",
    "<grants><query>GRANT SYSTEM LISTEN, CREATE ARBITRARY TEMPORARY TABLE ON *.*, TABLE ENGINE ON File</query></grants>",
    `</${ENGINE_USER}>`,
  ].join("");
  return `<?xml version="1.0"?>
<clickhouse>
  <profiles>
    <default/>
    <readonly><readonly>1</readonly></readonly>
    <readonly2><readonly>2</readonly></readonly2>
    <${ENGINE_PROFILE}><readonly>1</readonly></${ENGINE_PROFILE}>
  </profiles>
  <quotas><default/></quotas>
  <users>
    ${engineUser}
    ${users.map((user) => userXml(user, user.name === adminName)).join("\n    ")}
  </users>
</clickhouse>
`;
}

/** The main config: users.xml must be referenced from here (an inline `<users>` is ignored). */
export function renderConfigXml(paths: { usersXml: string; userFiles: string; tmp: string }): string {
  return `<?xml version="1.0"?>
<clickhouse>
  <users_config>${escapeXml(paths.usersXml)}</users_config>
  <user_files_path>${escapeXml(paths.userFiles)}</user_files_path>
  <tmp_path>${escapeXml(paths.tmp)}</tmp_path>
  <timezone>UTC</timezone>
  <shutdown_wait_unfinished>0</shutdown_wait_unfinished>
  <query_log>
    <database>system</database>
    <table>query_log</table>
    <flush_interval_milliseconds>7500</flush_interval_milliseconds>
  </query_log>
</clickhouse>
`;
}
