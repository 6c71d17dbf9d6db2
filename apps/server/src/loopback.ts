import { isIPv4, isIPv6 } from "node:net";

/**
 * Whether a listening address, or a host name from a Host or Origin header, can only be reached
 * from this machine: `localhost` (and `*.localhost`, RFC 6761), 127.0.0.0/8, ::1 and
 * IPv4-mapped 127.x. Decides the secure defaults (DNS-rebinding protection, the token
 * generator without an operator key), so it errs on the side of "not loopback".
 */
export function isLoopbackHost(host: string): boolean {
  const bare = (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host).toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  if (isIPv6(bare)) {
    if (bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
    return mapped?.[1]?.startsWith("127.") === true;
  }
  return false;
}
