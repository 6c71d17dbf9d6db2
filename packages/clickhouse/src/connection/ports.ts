/** The protocols the pool speaks: ClickHouse's HTTP interface, or its native TCP protocol. */
export type Protocol = "http" | "tcp";

export const HTTP_PORT = 8123;
export const HTTPS_PORT = 8443;
/** ClickHouse's native protocol ports, plain and with TLS. */
export const NATIVE_PORT = 9000;
export const NATIVE_TLS_PORT = 9440;

/** ClickHouse's standard ports (HTTP, HTTPS, native, native TLS): a host rule without a port allows these. */
export const STANDARD_CLICKHOUSE_PORTS: readonly number[] = Object.freeze([
  HTTP_PORT,
  HTTPS_PORT,
  NATIVE_PORT,
  NATIVE_TLS_PORT,
]);

/** The standard port of a protocol: 8123 / 8443 with TLS for `http`, 9000 / 9440 with TLS for `tcp`. */
export function defaultPort(protocol: Protocol, tls: boolean): number {
  if (protocol === "tcp") return tls ? NATIVE_TLS_PORT : NATIVE_PORT;
  return tls ? HTTPS_PORT : HTTP_PORT;
}
