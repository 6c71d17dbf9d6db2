import { BlockList, isIP, isIPv6 } from "node:net";
import { DatabaseError } from "../errors/database-error.js";
import { STANDARD_CLICKHOUSE_PORTS } from "./ports.js";

export interface NormalizedHost {
  /** Lower-case name or canonical IP text (IPv6 without brackets), without a trailing dot. */
  host: string;
  /** 4 or 6 for an IP literal, 0 for a name. */
  ipVersion: 0 | 4 | 6;
  /** The form to put in a URL (IPv6 in brackets). */
  urlHost: string;
}

const NAME = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
// The URL parser also accepts IPv4 in hex, octal and fewer parts (0x7f.1, 2130706433).
const LOOSE_IPV4 = /^(0[xX][0-9a-fA-F]*|\d+)(\.(0[xX][0-9a-fA-F]*|\d+)){0,3}\.?$/;

/**
 * Canonical form of a host claim, as the HTTP client will actually connect to it: the WHATWG URL
 * parser turns `127.1`, `0x7f.0.0.1` and `2130706433` into `127.0.0.1`, so the allow-list must
 * judge that form, not the text of the claim.
 */
export function normalizeHost(raw: string): NormalizedHost {
  const bare = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  if (isIPv6(bare)) {
    const hostname = parseHostname(`[${bare}]`); // "[::1]"
    return { host: hostname.slice(1, -1), ipVersion: 6, urlHost: hostname };
  }
  if (!NAME.test(raw) && !LOOSE_IPV4.test(raw)) throw invalidHost();
  const hostname = parseHostname(raw);
  const host = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  if (host === "") throw new DatabaseError("INVALID_CONNECTION", "The host claim is empty");
  const ipVersion = isIP(host) === 4 ? 4 : 0;
  return { host, ipVersion, urlHost: host };
}

function invalidHost(): DatabaseError {
  return new DatabaseError("INVALID_CONNECTION", "The host claim is not a valid host name or IP address");
}

function parseHostname(host: string): string {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    throw invalidHost();
  }
}

interface CompiledRule {
  text: string;
  matches(host: NormalizedHost, port: number): boolean;
}

/** Splits `host`, `host:port`, `host:*`, `[v6]:port`, `[v6/len]:port`; bare IPv6 (many colons) has no port. */
function splitPort(rule: string, text: string): { hostPart: string; ports: "any" | readonly number[] } {
  let hostPart = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) throw new TypeError(`allowedHosts: "${rule}" is not a valid pattern`);
    hostPart = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw new TypeError(`allowedHosts: "${rule}" is not a valid pattern`);
      portText = rest.slice(1);
    }
  } else if (text.split(":").length === 2) {
    const colon = text.indexOf(":");
    hostPart = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (portText === undefined) return { hostPart, ports: STANDARD_CLICKHOUSE_PORTS };
  if (portText === "*") return { hostPart, ports: "any" };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new TypeError(`allowedHosts: "${rule}" has an invalid port`);
  return { hostPart, ports: [port] };
}

function compileHostPart(rule: string, text: string): (host: NormalizedHost) => boolean {
  const slash = text.indexOf("/");
  if (slash !== -1) {
    const address = text.slice(0, slash);
    const prefix = Number(text.slice(slash + 1));
    const family = isIP(address);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new TypeError(`allowedHosts: "${rule}" is not a valid CIDR range`);
    }
    const list = new BlockList();
    list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
    // IP ranges judge IP literals only: resolving a name here would be a network access, and
    // the answer could change before the connection is made (DNS rebinding).
    return (host) => host.ipVersion !== 0 && list.check(host.host, host.ipVersion === 4 ? "ipv4" : "ipv6");
  }
  if (text.startsWith("*.")) {
    const suffix = text.slice(1).toLowerCase();
    if (suffix.length < 2 || suffix.includes("*"))
      throw new TypeError(`allowedHosts: "${rule}" is not a valid pattern`);
    return (host) => host.ipVersion === 0 && host.host.endsWith(suffix);
  }
  if (text === "" || text.includes("*"))
    throw new TypeError(`allowedHosts: "${rule}" is not a valid pattern`);
  let exact: NormalizedHost;
  try {
    exact = normalizeHost(text);
  } catch {
    throw new TypeError(`allowedHosts: "${rule}" is not a valid host name or IP address`);
  }
  return (host) => host.host === exact.host;
}

/**
 * A rule is a host part (exact name or IP, `*.suffix`, or CIDR range) and a port part: `:8123`
 * one port, `:*` any port, none the standard ClickHouse ports only, so that allowing a host does
 * not open every other service listening on it.
 */
function compileRule(rule: string): CompiledRule {
  const text = rule.trim();
  const { hostPart, ports } = splitPort(rule, text);
  const hostMatches = compileHostPart(rule, hostPart);
  return {
    text,
    matches: (host, port) => hostMatches(host) && (ports === "any" || ports.includes(port)),
  };
}

export type HostAllowList = (host: NormalizedHost, port: number) => void;

/**
 * Returns a check that throws HOST_NOT_ALLOWED for a host and port outside the rules: exact names
 * or IPs, `*.suffix` (any depth below the suffix, not the suffix itself) and CIDR ranges, each
 * with an optional `:port` or `:*` (default: the standard ClickHouse ports). Without rules,
 * everything is allowed.
 */
export function compileHostAllowList(rules: readonly string[] | undefined): HostAllowList {
  if (rules === undefined) return () => {};
  const compiled = rules.map(compileRule);
  return (host, port) => {
    if (!compiled.some((rule) => rule.matches(host, port))) {
      throw new DatabaseError(
        "HOST_NOT_ALLOWED",
        `Host "${host.host}" port ${port} is not in the server's list of allowed ClickHouse hosts ` +
          `(a rule without a port allows only ports ${STANDARD_CLICKHOUSE_PORTS.join(", ")})`,
      );
    }
  };
}
