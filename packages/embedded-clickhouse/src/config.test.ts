import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { renderConfigXml, renderUsersXml, validateUsers } from "./config.js";

describe("renderUsersXml", () => {
  const xml = renderUsersXml(
    [
      { name: "app", password: "plain-secret" },
      { name: "r1", password: "r1-secret", profile: "readonly" },
      { name: "r2", password: "r2-secret", profile: "readonly2" },
      { name: "scoped", password: "scoped-secret", databases: ["one", "two"] },
      { name: "admin", password: "admin-secret" },
    ],
    "admin",
  );

  it("stores passwords as SHA-256 only", () => {
    for (const password of ["plain-secret", "r1-secret", "admin-secret"]) {
      expect(xml).not.toContain(password);
      expect(xml).toContain(createHash("sha256").update(password).digest("hex"));
    }
  });

  it("maps profiles, database grants and the admin's access management", () => {
    expect(xml).toMatch(/<r1>.*<profile>readonly<\/profile>.*<\/r1>/);
    expect(xml).toMatch(/<r2>.*<profile>readonly2<\/profile>.*<\/r2>/);
    expect(xml).toMatch(/<app>.*<profile>default<\/profile>.*<\/app>/);
    expect(xml).toContain("<query>GRANT ALL ON `one`.*</query><query>GRANT ALL ON `two`.*</query>");
    expect(xml).toMatch(/<admin>.*<access_management>1<\/access_management>.*<\/admin>/);
    expect(xml).not.toMatch(/<app>.*access_management.*<\/app>/);
  });

  it("makes the engine's own password-less user readonly=1 for network logins", () => {
    expect(xml).toMatch(/<default><password><\/password><profile>engine_session<\/profile>/);
    expect(xml).toContain("<engine_session><readonly>1</readonly></engine_session>");
  });

  it("escapes paths in the main config", () => {
    const config = renderConfigXml({ usersXml: "/tmp/a&b/users.xml", userFiles: "/tmp/u", tmp: "/tmp/t/" });
    expect(config).toContain("<users_config>/tmp/a&amp;b/users.xml</users_config>");
  });
});

describe("validateUsers", () => {
  it("rejects names that are not plain identifiers, duplicates and empty passwords", () => {
    expect(() => validateUsers([{ name: "a<b", password: "x" }])).toThrow(TypeError);
    expect(() => validateUsers([{ name: "ok", password: "" }])).toThrow(TypeError);
    expect(() =>
      validateUsers([
        { name: "twice", password: "x" },
        { name: "twice", password: "y" },
      ]),
    ).toThrow(TypeError);
    expect(() => validateUsers([{ name: "ok", password: "x", databases: ["db; DROP"] }])).toThrow(TypeError);
    expect(() => validateUsers([{ name: "ok", password: "x", databases: ["fine_db"] }])).not.toThrow();
  });

  it("keeps passwords out of error messages", () => {
    expect(() => validateUsers([{ name: "default", password: "do-not-print" }])).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("do-not-print") }),
    );
  });
});
