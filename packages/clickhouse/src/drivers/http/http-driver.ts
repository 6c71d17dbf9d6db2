import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from "@clickhouse/client";
import type { NormalizedConnection } from "../../connection/normalize.js";
import type { TlsMaterial } from "../../connection/tls-files.js";
import { DatabaseError } from "../../errors/database-error.js";
import {
  clickHouseError,
  type ErrorContext,
  parseClickHouseException,
  scrub,
  toDatabaseError,
} from "../../errors/map-error.js";
import {
  type Driver,
  type DriverRequest,
  type DriverResponse,
  JSON_SETTINGS,
  KILL_SQL,
  KILL_TIMEOUT_MS,
  type SettingValue,
} from "../driver.js";
import { readProcessProgress } from "./process-progress.js";
import { startProgressPolling } from "./progress-poller.js";
import { ResultReader } from "./result-reader.js";

const FORMAT = "JSONCompactEachRowWithNamesAndTypes";

export interface HttpDriverOptions {
  maxSockets: number;
  requestTimeoutMs: number;
  application: string;
}

class CutShort extends Error {}

/** The HTTP(S) interface through @clickhouse/client, streaming JSONCompactEachRowWithNamesAndTypes. */
export class HttpDriver implements Driver {
  private readonly client: ClickHouseClient;

  constructor(
    connection: NormalizedConnection,
    options: HttpDriverOptions,
    tls: TlsMaterial | undefined,
    private readonly context: ErrorContext,
  ) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets,
    };
    const agent = tls
      ? new https.Agent({ ...agentOptions, ...tls.material, rejectUnauthorized: !tls.insecureSkipVerify })
      : new http.Agent(agentOptions);
    this.client = createClient({
      url: `${tls ? "https" : "http"}://${connection.host.urlHost}:${connection.port}`,
      username: connection.username,
      password: connection.password,
      database: connection.database,
      application: options.application,
      request_timeout: options.requestTimeoutMs,
      keep_alive: { enabled: true },
      http_agent: agent,
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private settingsFor(request: DriverRequest): ClickHouseSettings {
    if (request.settings === undefined) return {};
    const settings: Record<string, SettingValue> = {
      ...request.settings,
      ...JSON_SETTINGS,
      http_write_exception_in_output_format: 0,
    };
    if (request.kind === "read") settings.cancel_http_readonly_queries_on_client_close = 1;
    else settings.default_format = FORMAT;
    return settings as ClickHouseSettings;
  }

  async execute(request: DriverRequest): Promise<DriverResponse> {
    const { onProgress } = request;
    const poller =
      onProgress &&
      startProgressPolling(
        (poll, signal) => readProcessProgress(this.client, request.queryId, poll, signal),
        onProgress,
      );
    try {
      return await this.executeOnce(request);
    } finally {
      await poller?.stop();
    }
  }

  private async executeOnce(request: DriverRequest): Promise<DriverResponse> {
    let response: Awaited<ReturnType<ClickHouseClient["exec"]>>;
    try {
      response = await this.client.exec({
        // Writes print in default_format: a FORMAT clause would be a syntax error after some of them.
        query: request.kind === "read" ? `${request.query}\nFORMAT ${FORMAT}` : request.query,
        query_id: request.queryId,
        clickhouse_settings: this.settingsFor(request),
        abort_signal: request.signal,
        // Error bodies are read below: the client's own parsing keeps only part of the message.
        ignore_error_response: true,
        ...(request.params && { query_params: request.params }),
      });
    } catch (error) {
      throw toDatabaseError(error, this.context);
    }
    const stream = response.stream as Readable;
    const status = response.http_status_code ?? 200;
    const exceptionCode = response.response_headers["x-clickhouse-exception-code"];
    const failed = status < 200 || status >= 300 || exceptionCode !== undefined;
    const reader = new ResultReader(request.rows, failed);
    const destroy = () => stream.destroy(new CutShort());
    request.signal.addEventListener("abort", destroy, { once: true });
    if (request.signal.aborted) destroy();
    let cutShort = false;
    try {
      for await (const chunk of stream) {
        // True at a cap, also while a row is still arriving once it cannot fit any more: the
        // reader buffers no row beyond the byte cap, whatever the server sends.
        if (reader.push(chunk as Buffer)) {
          cutShort = true;
          break; // leaving the loop destroys the response and closes its connection
        }
      }
      reader.finish();
    } catch (error) {
      if (request.signal.aborted) throw error;
      // The server may close the connection right after writing an exception into the body.
      reader.finish();
      throw this.streamException(reader) ?? toDatabaseError(error, this.context, "stream");
    } finally {
      request.signal.removeEventListener("abort", destroy);
    }
    if (reader.failure) {
      // Not a ClickHouse answer (a header line beyond any real one): stop whatever runs under the id.
      await this.kill(request.queryId);
      throw reader.failure;
    }
    if (failed) throw this.responseError(status, exceptionCode, reader.errorText ?? "");
    const statistics = {
      rowsRead: Number(response.summary?.read_rows ?? 0),
      bytesRead: Number(response.summary?.read_bytes ?? 0),
    };
    if (reader.errorText !== undefined) {
      const exception = this.streamException(reader);
      if (exception) throw exception;
      // A statement that ran may still print in another format (users who cannot be sent
      // default_format); reporting it as failed would invite running it twice.
      if (request.kind === "write") {
        const rawOutput = [...(reader.names ? [JSON.stringify(reader.names)] : []), reader.errorText]
          .join("\n")
          .trimEnd();
        return { cutShort, ...statistics, rawOutput };
      }
      throw new DatabaseError(
        "QUERY_FAILED",
        "ClickHouse returned output that is not in the requested format",
      );
    }
    return { cutShort, ...statistics };
  }

  /** An error answer: ClickHouse's exception text, or something that is not ClickHouse at all. */
  private responseError(status: number, exceptionCode: unknown, body: string): DatabaseError {
    const exception = parseClickHouseException(body);
    if (exception) return clickHouseError(exception, this.context);
    const code = Number(exceptionCode);
    if (Number.isInteger(code) && code > 0) {
      return clickHouseError(
        { code, type: undefined, message: body.trim() || `HTTP ${status}` },
        this.context,
      );
    }
    return new DatabaseError(
      "CONNECT_FAILED",
      `Unexpected HTTP ${status} from ${this.context.host}:${this.context.port} (is it a ClickHouse HTTP port?): ${scrub(body.trim().slice(0, 200), this.context.password, this.context.username)}`,
    );
  }

  private streamException(reader: ResultReader): DatabaseError | undefined {
    const exception = reader.errorText === undefined ? undefined : parseClickHouseException(reader.errorText);
    return exception && clickHouseError(exception, this.context);
  }

  /**
   * Closing the connection cancels read-only queries (cancel_http_readonly_queries_on_client_close),
   * but not writes, not queries of users who cannot change that setting, and not queries that
   * have not produced output yet. Killing by id covers them all; SYNC returns once it is gone.
   */
  async kill(queryId: string): Promise<void> {
    try {
      await this.client.command({
        query: KILL_SQL,
        query_params: { id: queryId },
        abort_signal: AbortSignal.timeout(KILL_TIMEOUT_MS),
      });
    } catch {
      // Best effort: the closed connection has already asked the server to stop.
    }
  }
}
