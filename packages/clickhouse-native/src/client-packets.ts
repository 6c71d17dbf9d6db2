import { encodeFrame } from "./compression.js";
import { NativeError } from "./errors.js";
import { CLIENT_REVISION, CLIENT_VERSION, REVISION } from "./protocol.js";
import { Writer } from "./writer.js";

// The packets this client sends: Hello (and its addendum), Query, the empty Data block, Cancel, Ping.

const ClientPacket = { Hello: 0, Query: 1, Data: 2, Cancel: 3, Ping: 4 } as const;

const STAGE_COMPLETE = 2;
const QUERY_KIND_INITIAL = 1;
const INTERFACE_TCP = 1;
const SETTING_FLAG_IMPORTANT = 1;
const SETTING_FLAG_CUSTOM = 2;

export interface HelloOptions {
  clientName: string;
  database: string;
  username: string;
  password: string;
}

export function encodeHello(options: HelloOptions): Buffer {
  return new Writer()
    .varUInt(ClientPacket.Hello)
    .string(options.clientName)
    .varUInt(CLIENT_VERSION.major)
    .varUInt(CLIENT_VERSION.minor)
    .varUInt(CLIENT_REVISION)
    .string(options.database)
    .string(options.username)
    .string(options.password)
    .toBuffer();
}

/** Sent right after the server's Hello from revision 54458: the quota key. */
export function encodeAddendum(): Buffer {
  return new Writer().string("").toBuffer();
}

export function encodePing(): Buffer {
  return new Writer().varUInt(ClientPacket.Ping).toBuffer();
}

export function encodeCancel(): Buffer {
  return new Writer().varUInt(ClientPacket.Cancel).toBuffer();
}

export interface QueryPacket {
  revision: number;
  queryId: string;
  query: string;
  /** Setting values as text, sent as they are. */
  settings: ReadonlyArray<[string, string]>;
  /** Parameter values in the text form of HTTP's `param_` values. */
  params: ReadonlyArray<[string, string]>;
  compression: boolean;
  clientName: string;
  initialAddress: string;
  osUser: string;
  hostname: string;
}

/** The Query packet and the empty Data block that ends the (absent) external tables. */
export function encodeQuery(packet: QueryPacket): Buffer {
  const { revision } = packet;
  const w = new Writer(512 + packet.query.length * 3).varUInt(ClientPacket.Query).string(packet.queryId);
  if (revision >= REVISION.CLIENT_INFO) {
    w.uint8(QUERY_KIND_INITIAL).string("").string("").string(packet.initialAddress);
    if (revision >= REVISION.INITIAL_QUERY_START_TIME) w.int64(0n);
    w.uint8(INTERFACE_TCP).string(packet.osUser).string(packet.hostname).string(packet.clientName);
    w.varUInt(CLIENT_VERSION.major).varUInt(CLIENT_VERSION.minor).varUInt(CLIENT_REVISION);
    if (revision >= REVISION.QUOTA_KEY_IN_CLIENT_INFO) w.string("");
    if (revision >= REVISION.DISTRIBUTED_DEPTH) w.varUInt(0);
    if (revision >= REVISION.VERSION_PATCH) w.varUInt(CLIENT_VERSION.patch);
    if (revision >= REVISION.OPENTELEMETRY) w.uint8(0);
    if (revision >= REVISION.PARALLEL_REPLICAS) w.varUInt(0).varUInt(0).varUInt(0);
  }
  if (packet.settings.length > 0 && revision < REVISION.SETTINGS_AS_STRINGS) {
    throw new NativeError(
      "UNSUPPORTED_SERVER",
      `The server's protocol revision ${revision} is too old for query settings (needs ${REVISION.SETTINGS_AS_STRINGS})`,
    );
  }
  // Flagged important: a server that does not know a setting then refuses the query (as over HTTP)
  // instead of silently ignoring a limit.
  for (const [name, value] of packet.settings) w.string(name).varUInt(SETTING_FLAG_IMPORTANT).string(value);
  w.string("");
  if (revision >= REVISION.INTERSERVER_SECRET) w.string("");
  w.varUInt(STAGE_COMPLETE)
    .varUInt(packet.compression ? 1 : 0)
    .string(packet.query);
  if (revision >= REVISION.PARAMETERS) {
    for (const [name, value] of packet.params)
      w.string(name).varUInt(SETTING_FLAG_CUSTOM).string(fieldDump(value));
    w.string("");
  } else if (packet.params.length > 0) {
    throw new NativeError(
      "UNSUPPORTED_SERVER",
      `The server's protocol revision ${revision} is too old for query parameters (needs ${REVISION.PARAMETERS})`,
    );
  }
  w.bytes(encodeEmptyBlock(packet.compression));
  return w.toBuffer();
}

/** A parameter travels as a dumped Field holding a String: a quoted literal (Field::restoreFromDump). */
function fieldDump(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** An empty Data packet: the end of external tables after a query, or of INSERT data. */
export function encodeEmptyBlock(compression: boolean): Buffer {
  const block = new Writer(16);
  // Block info: field 1 is_overflows, field 2 bucket_num, 0 ends it.
  block.varUInt(1).uint8(0).varUInt(2).int32(-1).varUInt(0);
  block.varUInt(0).varUInt(0); // columns, rows
  const body = block.toBuffer();
  const head = new Writer(4).varUInt(ClientPacket.Data).string("").toBuffer();
  return Buffer.concat([head, compression ? encodeFrame(body) : body]);
}
