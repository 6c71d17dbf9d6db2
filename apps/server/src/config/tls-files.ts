import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { ConfigError } from "./config-error.js";
import { optionSpec } from "./flags.js";
import type { HttpConfig } from "./server-config.js";

export interface ServerTlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Present for mutual TLS: client certificates must chain to it. */
  ca?: Buffer;
}

type TlsFileOption = "server-tls-cert-file" | "server-tls-key-file" | "server-tls-ca-cert";

function readPem(path: string, flag: TlsFileOption): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    const { env } = optionSpec(flag);
    throw new ConfigError("CONFIG_INVALID_VALUE", `--${flag} / ${env}: cannot read ${path} (${reason})`, {
      setting: flag,
      cause: error,
    });
  }
}

/**
 * Reads the server's certificate, key and optional client CA, and checks that they load, so a
 * wrong path or a mismatched pair is a configuration error (exit 2) rather than a crash later.
 */
export function loadServerTls(tls: NonNullable<HttpConfig["tls"]>): ServerTlsMaterial {
  const cert = readPem(tls.certFile, "server-tls-cert-file");
  const key = readPem(tls.keyFile, "server-tls-key-file");
  const ca = tls.caCertFile ? readPem(tls.caCertFile, "server-tls-ca-cert") : undefined;
  try {
    createSecureContext({ cert, key, ca });
  } catch (error) {
    // OpenSSL's text names the failing step (e.g. "key values mismatch"), never file contents.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      "CONFIG_INVALID_VALUE",
      `--server-tls-cert-file / --server-tls-key-file / --server-tls-ca-cert: cannot load the server TLS files: ${reason}`,
      { setting: "server-tls-cert-file", cause: error },
    );
  }
  return ca ? { cert, key, ca } : { cert, key };
}
