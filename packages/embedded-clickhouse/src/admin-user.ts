import { randomBytes } from "node:crypto";
import { type EmbeddedUser, validateUsers } from "./config.js";

export const ADMIN_USER = "admin";

function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

export function resolveUsers(given: readonly EmbeddedUser[]): { users: EmbeddedUser[]; admin: EmbeddedUser } {
  validateUsers(given);
  const users = given.map((user) => ({
    ...user,
    databases: user.databases ? [...user.databases] : undefined,
  }));
  const named = users.find((user) => user.name === ADMIN_USER);
  if (named) {
    if ((named.profile ?? "readwrite") !== "readwrite" || named.databases !== undefined) {
      throw new TypeError(`User "${ADMIN_USER}" is the admin: it must be readwrite with all databases`);
    }
    return { users: [...users.filter((user) => user !== named), named], admin: named };
  }
  const admin: EmbeddedUser = { name: ADMIN_USER, password: generatePassword(), profile: "readwrite" };
  return { users: [...users, admin], admin };
}
