import type { RequestAuth } from "../auth/authenticate.js";

/** Hono environment of the app: what the app-wide middlewares hand to every handler. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The connection's abort signal (fires when the client hangs up). */
    requestSignal: AbortSignal;
  };
}

/** The environment of the MCP endpoints, behind the auth middleware: `c.var.auth` is always set. */
export interface AuthEnv {
  Variables: AppEnv["Variables"] & {
    /** Who the request is and which ClickHouse connection it may use. */
    auth: RequestAuth;
  };
}
