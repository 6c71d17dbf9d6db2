import { readFileSync } from "node:fs";
import { ByteQueue } from "../byte-queue.js";
import { CompressedSource } from "../compression.js";
import { CLIENT_REVISION, type ServerMessage } from "../protocol.js";
import { DEFAULT_READ_LIMITS, RawSource, type ReadLimits } from "../reader.js";
import { type ReadContext, readServerMessage } from "../server-packets.js";

export interface CapturedResponse {
  name: string;
  query: string;
  compression: boolean;
  settings?: Record<string, string | number>;
  /** Hex of everything the server sent after its Hello, until the client closed. */
  server: string;
  /** The same query over HTTP: JSONCompactEachRowWithNamesAndTypes lines, 64-bit integers and decimals quoted. */
  httpLines?: string[];
}

export interface HttpResult {
  names: string[];
  types: string[];
  rows: unknown[][];
}

export function httpResult(fixture: CapturedResponse): HttpResult | undefined {
  if (!fixture.httpLines) return undefined;
  const [names, types, ...rows] = fixture.httpLines.map((line) => JSON.parse(line) as unknown[]);
  return { names: names as string[], types: types as string[], rows };
}

interface NativeFixtures {
  capturedFrom: string;
  hello: string;
  responses: CapturedResponse[];
}

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as T;

export const nativeFixtures = load<NativeFixtures>("native-responses.json");
export const frameFixtures = load<{ capturedFrom: string; frames: string[] }>("compressed-frames.json");

export function response(name: string): CapturedResponse {
  const found = nativeFixtures.responses.find((r) => r.name === name);
  if (!found) throw new Error(`No fixture ${name}`);
  return found;
}

export interface ParseRun {
  messages: ServerMessage[];
  /** How many times the parser was resumed (next() calls). */
  resumes: number;
}

/**
 * Parses `bytes` as server packets the way a connection does: the bytes arrive in chunks of
 * `chunkSize`, and the parser is resumed only once the bytes it asked for are there.
 */
export function parseStream(
  bytes: Buffer | Iterable<Buffer>,
  options: {
    chunkSize?: number;
    compression?: boolean;
    timezone?: string;
    limits?: Partial<ReadLimits>;
    /** How each Data/Totals/Extremes block may be read (ReadContext.budget). */
    budget?: ReadContext["budget"];
    /** Called with each message as soon as it is parsed (before the next one is). */
    onMessage?: (message: ServerMessage) => void;
    /** Called after every parser step with the bytes buffered and the bytes the parser waits for. */
    onStep?: (buffered: number, need: number) => void;
  } = {},
): ParseRun {
  const queue = new ByteQueue();
  const raw = new RawSource(queue);
  const limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
  const context: ReadContext = {
    raw,
    data: options.compression ? new CompressedSource(raw, limits.maxFrameBytes) : raw,
    revision: CLIENT_REVISION,
    limits,
    decoding: { timezone: options.timezone ?? "Etc/UTC", limits },
    zones: new Map(),
    decoders: new Map(),
    ...(options.budget && { budget: options.budget }),
  };
  const messages: ServerMessage[] = [];
  let parser = readServerMessage(context);
  let need = 0;
  let resumes = 0;
  const drain = () => {
    while (queue.available >= need && queue.available > 0) {
      resumes++;
      const step = parser.next();
      if (step.done) {
        messages.push(step.value);
        options.onMessage?.(step.value);
        parser = readServerMessage(context);
        need = 0;
      } else {
        need = step.value;
      }
      options.onStep?.(queue.available, need);
    }
  };
  for (const chunk of chunksOf(bytes, options.chunkSize)) {
    queue.push(chunk);
    drain();
  }
  if (queue.available > 0 || need > 0)
    throw new Error(`Stream ended inside a packet (${queue.available} bytes left)`);
  return { messages, resumes };
}

/** `bytes` in chunks of `chunkSize` (default: whole), or the chunks as given. */
function* chunksOf(bytes: Buffer | Iterable<Buffer>, chunkSize: number | undefined): Iterable<Buffer> {
  if (!Buffer.isBuffer(bytes)) {
    yield* bytes;
    return;
  }
  const size = chunkSize ?? bytes.length;
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** All data rows of a parsed response, in order, as arrays of values. */
export function dataRows(messages: ServerMessage[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const message of messages) {
    if (message.type !== "data") continue;
    const { block } = message;
    for (let row = 0; row < block.rowCount; row++) rows.push(block.values.map((column) => column[row]));
  }
  return rows;
}
