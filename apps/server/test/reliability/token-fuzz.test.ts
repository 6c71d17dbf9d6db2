/**
 * Token fuzzing: thousands of tokens the server did not mint, or minted wrongly, at every place a
 * token is read (path forms, Authorization, X-Altinity-MCP-Key, the SSE message endpoint). Each
 * must get 401 with the RFC 6750 body, never a stream, a 2xx or a 5xx; the server must stay up and
 * keep serving genuine tokens. Deterministic from a printed seed (MCP_FUZZ_SEED replays a run).
 */
import { createCipheriv, createHash, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { connect } from "node:net";
import { looksLikeCompactJwe, mintToken } from "@mcp/jwe";
import { CompactEncrypt, CompactSign, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  JWE_SECRET,
  JWT_SECRET,
  markSensitive,
  mcpUrl,
  startTestServer,
  structuredOf,
  type TestServer,
} from "../../src/test-support/http-fixture.js";
import {
  boundedLoop,
  ClientTexts,
  expectNoSecrets,
  initializeMessage,
  RawSseSession,
  reportFigures,
  scale,
  timeoutFor,
  unique,
} from "../../src/test-support/reliability.js";

const TOKENS = scale(2_000, 20_000);
const BUDGET_MS = scale(40_000, 300_000);
const SEED = Number(process.env.MCP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

let server: TestServer;
let live: RawSseSession;
let liveToken: string;
const shown = new ClientTexts();
/** Every fuzz token, joined, to find any long run of token text in the logs without a scan per token. */
const fuzzed: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  // A genuine session whose message endpoint the fuzzer aims at: no forged message may reach it.
  liveToken = await server.mint();
  live = await RawSseSession.open(mcpUrl(server.url, "sse", liveToken));
});

afterAll(async () => {
  live?.close();
  await server?.close();
});

// --- deterministic randomness ----------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const randomB64 = (length: number) => {
  let out = "";
  for (let i = 0; i < length; i++) out += B64[int(64)];
  return out;
};
const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");

// --- token material --------------------------------------------------------------------------

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();
const now = () => Math.floor(Date.now() / 1000);

/** Seals `payload` exactly as the server expects, with the server's own secrets: only the content is wrong. */
async function sealWithServerKeys(payload: string, options: { sign?: boolean; cty?: string } = {}) {
  const sign = options.sign ?? true;
  const inner = sign
    ? await new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(sha256(JWT_SECRET))
    : payload;
  return new CompactEncrypt(new TextEncoder().encode(inner))
    .setProtectedHeader({
      alg: "A256KW",
      enc: "A256GCM",
      cty: options.cty ?? (sign ? "JWT" : "JSON"),
      typ: "JWE",
    })
    .encrypt(sha256(JWE_SECRET));
}

/**
 * A256KW/A256GCM by hand, so any protected header (zip, crit, odd cty) can be sealed with the
 * server's real key: jose refuses to produce some of them.
 */
function handmadeJwe(header: Record<string, unknown>, plaintext: string, kek: Buffer): string {
  const protectedHeader = b64(JSON.stringify(header));
  const cek = randomBytes(32);
  const wrap = createCipheriv("id-aes256-wrap", kek, Buffer.from("A6A6A6A6A6A6A6A6", "hex"));
  const wrapped = Buffer.concat([wrap.update(cek), wrap.final()]);
  const iv = randomBytes(12);
  const gcm = createCipheriv("aes-256-gcm", cek, iv);
  gcm.setAAD(Buffer.from(protectedHeader, "ascii"));
  const ciphertext = Buffer.concat([gcm.update(plaintext, "utf8"), gcm.final()]);
  return [protectedHeader, b64(wrapped), b64(iv), b64(ciphertext), b64(gcm.getAuthTag())].join(".");
}

interface Material {
  genuine: string[];
  /** Tokens that are well-formed for some other server, algorithm or moment. */
  crafted: { kind: string; token: string }[];
}

async function buildMaterial(): Promise<Material> {
  const genuine = await Promise.all([
    server.mint(),
    server.mint({ ...harnessClaims("readonly2"), database: "fixtures", read_only: true }),
    server.mint({ ...harnessClaims("admin"), limit: 10, max_execution_time: 5, aud: "rel" }),
  ]);
  const claims = { ...harnessClaims(), exp: now() + 3600 };
  const json = JSON.stringify(claims);
  const key = sha256(JWE_SECRET);
  const enc = new TextEncoder();
  const { publicKey: rsa } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { publicKey: ec } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const encryptWith = (header: Record<string, unknown>, keyLike: unknown, plaintext = json) =>
    new CompactEncrypt(enc.encode(plaintext))
      .setProtectedHeader(header as { alg: string; enc: string })
      .encrypt(keyLike as Uint8Array);
  const signedJwt = await new CompactSign(enc.encode(json))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(sha256(JWT_SECRET));
  const hs512 = await new CompactSign(enc.encode(json))
    .setProtectedHeader({ alg: "HS512", typ: "JWT" })
    .sign(await importJWK({ kty: "oct", k: b64(Buffer.concat([key, key])) }, "HS512"));
  const unsecured = `${b64(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64(json)}.`;
  const otherSecret = unique("other-jwe-secret-of-someone-else");
  const otherJwt = unique("other-jwt-secret-of-someone-else");
  markSensitive(otherSecret, otherJwt);
  const traversal = {
    ...harnessClaims(),
    tls_enabled: true,
    tls_ca_cert: "../../../../../../etc/passwd",
    tls_client_cert: "/proc/self/environ",
    tls_client_key: "..%2f..%2f..%2fetc%2fshadow",
  };
  const wrongClaims: [string, string][] = [
    ["unknown claim", JSON.stringify({ ...claims, admin: true })],
    ["unknown claim (proto)", `{"__proto__":{"admin":true},${json.slice(1)}`],
    ["unknown claim (constructor)", JSON.stringify({ ...claims, constructor: { name: "x" } })],
    ["port as string", JSON.stringify({ ...claims, port: String(claims.port) })],
    ["host as number", JSON.stringify({ ...claims, host: 127001 })],
    ["host with a path", JSON.stringify({ ...claims, host: "127.0.0.1/admin" })],
    ["empty host", JSON.stringify({ ...claims, host: "" })],
    ["exp as string", JSON.stringify({ ...claims, exp: "never" })],
    ["exp missing", JSON.stringify({ ...claims, exp: undefined })],
    ["exp beyond year 9999", JSON.stringify({ ...claims, exp: 1e15 })],
    ["read_only as string", JSON.stringify({ ...claims, read_only: "false" })],
    ["negative limit", JSON.stringify({ ...claims, limit: -5 })],
    ["fractional limit", JSON.stringify({ ...claims, limit: 1.5 })],
    ["zero max_execution_time", JSON.stringify({ ...claims, max_execution_time: 0 })],
    ["empty aud", JSON.stringify({ ...claims, aud: [] })],
    ["tls_enabled as string", JSON.stringify({ ...claims, tls_enabled: "true" })],
    ["protocol ftp", JSON.stringify({ ...claims, protocol: "ftp" })],
    ["port 70000", JSON.stringify({ ...claims, port: 70000 })],
    ["database too long", JSON.stringify({ ...claims, database: "d".repeat(300) })],
    ["password as object", JSON.stringify({ ...claims, password: { $ne: null } })],
    ["claims an array", JSON.stringify([claims])],
    ["claims null", "null"],
    ["claims a string", JSON.stringify(json)],
    ["claims not JSON", `${json.slice(0, -1)}`],
    ["claims not UTF-8", "\udc80\udc81"],
    ["no host", JSON.stringify({ ...claims, host: undefined })],
    ["traversal with a bad port", JSON.stringify({ ...traversal, exp: claims.exp, port: -1 })],
  ];

  const crafted: Material["crafted"] = [];
  const add = async (kind: string, make: () => Promise<string> | string) => {
    crafted.push({ kind, token: await make() });
  };
  for (const [name, payload] of wrongClaims) await add(`claims: ${name}`, () => sealWithServerKeys(payload));
  await add("alg dir (right key bytes)", () =>
    encryptWith({ alg: "dir", enc: "A256GCM", cty: "JWT" }, key, signedJwt),
  );
  await add("alg A128KW", () =>
    encryptWith({ alg: "A128KW", enc: "A256GCM", cty: "JWT" }, key.subarray(0, 16), signedJwt),
  );
  await add("alg A192KW", () =>
    encryptWith({ alg: "A192KW", enc: "A256GCM", cty: "JWT" }, key.subarray(0, 24), signedJwt),
  );
  await add("alg A256GCMKW", () =>
    encryptWith({ alg: "A256GCMKW", enc: "A256GCM", cty: "JWT" }, key, signedJwt),
  );
  await add("alg PBES2 (secret as password)", () =>
    encryptWith(
      { alg: "PBES2-HS256+A128KW", enc: "A256GCM", cty: "JWT", p2c: 1000 },
      enc.encode(JWE_SECRET),
      signedJwt,
    ),
  );
  await add("alg RSA-OAEP", () =>
    encryptWith({ alg: "RSA-OAEP", enc: "A256GCM", cty: "JWT" }, rsa, signedJwt),
  );
  await add("alg RSA-OAEP-256", () =>
    encryptWith({ alg: "RSA-OAEP-256", enc: "A256GCM", cty: "JWT" }, rsa, signedJwt),
  );
  await add("alg ECDH-ES", () => encryptWith({ alg: "ECDH-ES", enc: "A256GCM", cty: "JWT" }, ec, signedJwt));
  await add("enc A128GCM", () => encryptWith({ alg: "A256KW", enc: "A128GCM", cty: "JWT" }, key, signedJwt));
  await add("enc A256CBC-HS512", () =>
    encryptWith({ alg: "A256KW", enc: "A256CBC-HS512", cty: "JWT" }, key, signedJwt),
  );
  await add("handmade control (must verify)", () =>
    handmadeJwe({ alg: "A256KW", enc: "A256GCM", cty: "JWT", typ: "JWE" }, signedJwt, key),
  );
  await add("handmade control, header keys reordered", () =>
    handmadeJwe({ typ: "JWE", cty: "JWT", enc: "A256GCM", alg: "A256KW" }, signedJwt, key),
  );
  await add("zip DEF", () =>
    handmadeJwe({ alg: "A256KW", enc: "A256GCM", cty: "JWT", zip: "DEF" }, signedJwt, key),
  );
  await add("crit header", () =>
    handmadeJwe({ alg: "A256KW", enc: "A256GCM", cty: "JWT", crit: ["exp"], exp: 1 }, signedJwt, key),
  );
  await add("header not an object", () =>
    handmadeJwe([] as unknown as Record<string, unknown>, signedJwt, key),
  );
  await add("alg in lower case", () =>
    handmadeJwe({ alg: "a256kw", enc: "A256GCM", cty: "JWT" }, signedJwt, key),
  );
  await add("enc missing", () => handmadeJwe({ alg: "A256KW", cty: "JWT" }, signedJwt, key));
  await add("cty as a number", () => handmadeJwe({ alg: "A256KW", enc: "A256GCM", cty: 1 }, signedJwt, key));
  await add("JWE inside JWE", async () =>
    handmadeJwe({ alg: "A256KW", enc: "A256GCM", cty: "JWT" }, await server.mint(), key),
  );
  await add("bare JWS signed with the JWT secret", () => signedJwt);
  await add("JWS alg none", () => unsecured);
  await add("JWE around JWS alg none", () =>
    encryptWith({ alg: "A256KW", enc: "A256GCM", cty: "JWT" }, key, unsecured),
  );
  await add("JWE around JWS HS512", () =>
    encryptWith({ alg: "A256KW", enc: "A256GCM", cty: "JWT" }, key, hs512),
  );
  await add("cty XML", () => sealWithServerKeys(json, { cty: "application/xml" }));
  await add("cty JWT around garbage", () =>
    encryptWith({ alg: "A256KW", enc: "A256GCM", cty: "JWT" }, key, "garbage"),
  );
  await add("unsigned while a JWT secret is set", () => sealWithServerKeys(json, { sign: false }));
  await add("other JWE secret", () =>
    mintToken(harnessClaims(), { jweSecret: otherSecret, jwtSecret: JWT_SECRET }),
  );
  await add("other JWT secret", () =>
    mintToken(harnessClaims(), { jweSecret: JWE_SECRET, jwtSecret: otherJwt }),
  );
  await add("other JWE secret, unsigned", () => mintToken(harnessClaims(), { jweSecret: otherSecret }));
  await add("traversal in TLS claims, forged", () =>
    mintToken(traversal, { jweSecret: otherSecret, jwtSecret: JWT_SECRET }),
  );
  await add("expired", () =>
    mintToken(harnessClaims(), {
      jweSecret: JWE_SECRET,
      jwtSecret: JWT_SECRET,
      currentDate: new Date(Date.now() - 7_200_000),
    }),
  );
  await add("expired a second ago", () =>
    mintToken({ ...harnessClaims(), exp: now() - 1 }, { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET }),
  );
  await add("not yet valid (nbf)", () =>
    mintToken({ ...harnessClaims(), nbf: now() + 3600 }, { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET }),
  );
  await add("issued in the future (iat)", () =>
    mintToken({ ...harnessClaims(), iat: now() + 3600 }, { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET }),
  );
  for (const { token } of crafted) markSensitive(token);
  // The handmade sealing is only a fair test if a genuine header sealed the same way is accepted;
  // the reordered header gives "swapped header" mutations a header whose bytes differ.
  for (const kind of ["handmade control (must verify)", "handmade control, header keys reordered"]) {
    const index = crafted.findIndex((c) => c.kind === kind);
    genuine.push((crafted.splice(index, 1)[0] as { token: string }).token);
  }
  return { genuine, crafted };
}

// --- mutations -------------------------------------------------------------------------------

type Mutation = { kind: string; token: string; huge?: boolean };

function flipBit(part: string): string {
  const bytes = Buffer.from(part, "base64url");
  if (bytes.length === 0) return randomB64(4);
  const index = int(bytes.length);
  bytes[index] = (bytes[index] as number) ^ (1 << int(8));
  return b64(bytes);
}

/** A mutation that changes nothing, or lands on another genuine token, is drawn again. */
function mutate(material: Material): Mutation {
  for (;;) {
    const mutation = mutateOnce(material);
    if (!material.genuine.includes(mutation.token)) return mutation;
  }
}

function mutateOnce(material: Material): Mutation {
  const base = pick(material.genuine);
  const parts = base.split(".");
  const other = pick(material.genuine.filter((t) => t !== base));
  switch (int(14)) {
    case 0:
    case 1:
    case 2: {
      const k = int(5);
      const copy = [...parts];
      copy[k] = flipBit(copy[k] as string);
      return { kind: `bit flip in part ${k}`, token: copy.join(".") };
    }
    case 3: {
      const k = int(5);
      const copy = [...parts];
      const part = copy[k] as string;
      const at = int(part.length);
      copy[k] = `${part.slice(0, at)}${pick([...B64].filter((c) => c !== part[at]))}${part.slice(at + 1)}`;
      return { kind: `character swap in part ${k}`, token: copy.join(".") };
    }
    case 4:
      // At least one character: an empty path segment is no token route at all (404 no such endpoint).
      return { kind: "truncated", token: base.slice(0, 1 + int(base.length - 1)) };
    case 5:
      return {
        kind: "extra segments",
        token: pick([
          `${base}.${randomB64(1 + int(40))}`,
          `${randomB64(1 + int(40))}.${base}`,
          `${base}.`,
          `.${base}`,
          [...parts.slice(0, 2), parts[1], ...parts.slice(2)].join("."),
          parts.slice(0, 4).join("."),
          parts.slice(0, 3).join("."),
          parts.join(".."),
          `${base}.${base}`,
        ]),
      };
    case 6: {
      const otherParts = other.split(".");
      const k = int(5);
      const copy = [...parts];
      copy[k] = otherParts[k] as string;
      return { kind: k === 0 ? "swapped header" : `part ${k} from another token`, token: copy.join(".") };
    }
    case 7: {
      const copy = [...parts];
      const i = int(5);
      const j = (i + 1 + int(4)) % 5;
      [copy[i], copy[j]] = [copy[j] as string, copy[i] as string];
      return { kind: "parts reordered", token: copy.join(".") };
    }
    case 8:
    case 9:
    case 10: {
      const crafted = pick(material.crafted);
      return { kind: crafted.kind, token: crafted.token };
    }
    case 11: {
      // Rarer than the others: each costs the most to send.
      if (int(3) !== 0) return mutateOnce(material);
      const size = pick([4_096, 12_000, 16_385, 20_000, 65_536, 1_048_576]);
      const token = `${parts[0]}.${parts[1]}.${parts[2]}.${randomB64(size)}.${parts[4]}`;
      return { kind: `huge (${size} bytes of ciphertext)`, token, huge: true };
    }
    case 12: {
      const at = int(base.length);
      const char = pick([
        "é",
        "ÿ",
        "\u00a0",
        "😀",
        "中",
        "\u202e",
        "\ufeff",
        "%00",
        "%2e%2e%2f",
        "\\",
        "'",
        '"',
      ]);
      return {
        kind: "non-ASCII or escaped characters",
        token: `${base.slice(0, at)}${char}${base.slice(at)}`,
      };
    }
    default:
      return {
        kind: "garbage",
        token: pick([
          randomB64(1 + int(200)),
          `${randomB64(20)}.${randomB64(54)}.${randomB64(16)}.${randomB64(80)}.${randomB64(22)}`,
          "....",
          "null",
          "undefined",
          "Bearer",
          `eyJ${randomB64(40)}`,
          "../../../../etc/passwd",
          "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
          `${parts[0]}....`,
        ]),
      };
  }
}

// --- targets ---------------------------------------------------------------------------------

/** Percent-encoded for a path segment; dots too, so `.` and `..` stay a token instead of a path step. */
const pathSegment = (token: string) => encodeURIComponent(token).replace(/\./g, "%2E");
/** Header values must be Latin-1 without control characters; anything else goes percent-encoded. */
const headerValue = (token: string) =>
  /^[\x21-\x7e\x80-\xff]+(?: [\x21-\x7e\x80-\xff]+)*$/.test(token) ? token : encodeURIComponent(token);

type Target =
  | "sse-path"
  | "mcp-path"
  | "root-path"
  | "sse-bearer"
  | "mcp-key"
  | "message-path"
  | "message-bearer";
const TARGETS: readonly Target[] = [
  "sse-path",
  "mcp-path",
  "root-path",
  "sse-bearer",
  "mcp-key",
  "message-path",
  "message-bearer",
];

const PING = { jsonrpc: "2.0", id: "fuzz", method: "ping" };

function request(
  target: Target,
  token: string,
  sessionQuery: string,
  signal: AbortSignal,
): Promise<Response> {
  const url = server.url;
  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(body),
      signal,
    });
  const sse = { Accept: "text/event-stream" };
  switch (target) {
    case "sse-path":
      return fetch(`${url}/${pathSegment(token)}/sse`, { headers: sse, signal });
    case "mcp-path":
      return post(`/${pathSegment(token)}/mcp`, {}, initializeMessage());
    case "root-path":
      return post(`/${pathSegment(token)}`, {}, initializeMessage());
    case "sse-bearer":
      return fetch(`${url}/sse`, {
        headers: { ...sse, Authorization: `Bearer ${headerValue(token)}` },
        signal,
      });
    case "mcp-key":
      return post("/mcp", { "X-Altinity-MCP-Key": headerValue(token) }, initializeMessage());
    case "message-path":
      return post(`/${pathSegment(token)}/message?${sessionQuery}`, {}, PING);
    case "message-bearer":
      return post(`/message?${sessionQuery}`, { Authorization: `Bearer ${headerValue(token)}` }, PING);
  }
}

interface Tally {
  requests: number;
  unauthorized: number;
  /** Path segments not shaped like a compact JWE: no token route, 404. */
  notFound: number;
  /** Refused by Node's HTTP parser before the app (request head too large): 431, or the socket cut. */
  httpLayer: number;
  controls: number;
  kinds: Map<string, number>;
  failures: string[];
}

async function fire(tally: Tally, target: Target, mutation: Mutation, sessionQuery: string): Promise<void> {
  tally.requests++;
  const signal = AbortSignal.timeout(15_000);
  let response: Response;
  try {
    response = await request(target, mutation.token, sessionQuery, signal);
  } catch (error) {
    // A request head of hundreds of KiB is cut by Node's parser while the client is still sending it.
    if (mutation.huge) {
      tally.httpLayer++;
      return;
    }
    tally.failures.push(`${mutation.kind} at ${target}: request failed: ${String(error)}`);
    return;
  }
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    await response.body?.cancel();
    tally.failures.push(
      `${mutation.kind} at ${target}: ${response.status} opened a stream (${mutation.token})`,
    );
    return;
  }
  const body = await response.text();
  shown.add(body);
  if (mutation.token.length >= 16 && body.includes(mutation.token)) {
    tally.failures.push(`${mutation.kind} at ${target}: the response echoes the token`);
  }
  if (response.status === 431 && mutation.huge) {
    tally.httpLayer++;
    return;
  }
  const json = (() => {
    try {
      return JSON.parse(body) as { error?: string };
    } catch {
      return undefined;
    }
  })();
  // A path segment that is not shaped like a compact JWE is no token route at all: 404.
  if (target.endsWith("-path") && !looksLikeCompactJwe(mutation.token)) {
    if (response.status === 404 && json?.error === "not_found") tally.notFound++;
    else tally.failures.push(`${mutation.kind} at ${target}: ${response.status} ${body.slice(0, 160)}`);
    return;
  }
  const ok =
    response.status === 401 &&
    json?.error === "invalid_token" &&
    response.headers.get("www-authenticate") === 'Bearer error="invalid_token"';
  if (ok) tally.unauthorized++;
  else tally.failures.push(`${mutation.kind} at ${target}: ${response.status} ${body.slice(0, 160)}`);
}

/** A genuine token at the same target must work: the fuzzer's 401s are not an artefact of its requests. */
async function control(tally: Tally, target: Target, token: string, sessionQuery: string): Promise<void> {
  tally.controls++;
  let response: Response;
  try {
    response = await request(target, token, sessionQuery, AbortSignal.timeout(15_000));
  } catch (error) {
    tally.failures.push(`control at ${target}: ${String(error)}`);
    return;
  }
  const expected = target.startsWith("message") ? 202 : 200;
  if (response.status !== expected) tally.failures.push(`control at ${target}: ${response.status}`);
  await response.body?.cancel();
}

describe("token fuzzing", () => {
  it(
    `refuses ${TOKENS} mutated tokens at every token position with 401, and keeps serving`,
    async () => {
      const material = await buildMaterial();
      const sessionQuery = live.endpoint.slice(live.endpoint.indexOf("?") + 1);
      const repliesBefore = live.responses.length;
      const tally: Tally = {
        requests: 0,
        unauthorized: 0,
        notFound: 0,
        httpLayer: 0,
        controls: 0,
        kinds: new Map(),
        failures: [],
      };

      const run = await boundedLoop({ count: TOKENS, budgetMs: BUDGET_MS, concurrency: 16 }, async (i) => {
        const mutation = mutate(material);
        if (mutation.token.length < 100_000) fuzzed.push(mutation.token);
        tally.kinds.set(mutation.kind, (tally.kinds.get(mutation.kind) ?? 0) + 1);
        // Each token goes to two of the seven positions, so every position sees thousands.
        await fire(tally, TARGETS[i % TARGETS.length] as Target, mutation, sessionQuery);
        await fire(tally, TARGETS[(i + 3) % TARGETS.length] as Target, mutation, sessionQuery);
        if (i % 50 === 0) {
          const target = TARGETS[int(TARGETS.length)] as Target;
          // The session's message endpoint only takes the token that opened it.
          const token = target.startsWith("message") ? liveToken : pick(material.genuine);
          await control(tally, target, token, sessionQuery);
        }
      });

      expect(tally.failures.slice(0, 20), `seed=${SEED} (MCP_FUZZ_SEED=${SEED} replays this run)`).toEqual(
        [],
      );
      expect(run.done).toBeGreaterThanOrEqual(Math.min(TOKENS, 500));
      // Every 401 went through the verifier and was counted by reason, nothing else was refused.
      const rejections = server.metrics
        .render()
        .split("\n")
        .filter((line) => line.startsWith("mcp_token_rejections_total{"))
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
      expect(rejections).toBe(tally.unauthorized);
      // The genuine session heard only the controls' pings, never a forged message.
      const controlReplies = live.responses.slice(repliesBefore).filter((r) => r.id === "fuzz").length;
      expect(live.responses.length - repliesBefore).toBe(controlReplies);

      const livez = await fetch(`${server.url}/livez`);
      expect(livez.status).toBe(200);
      await using client = await connectClient("http", mcpUrl(server.url, "http", material.genuine[0]));
      const result = await client.callTool({
        name: "execute_query",
        arguments: { query: "SELECT 1 AS one" },
      });
      expect(structuredOf(result)).toContain('"one":1');

      reportFigures("token fuzzing", {
        seed: SEED,
        tokens: run.done,
        requests: tally.requests,
        "401": tally.unauthorized,
        "404 (path segment not token-shaped)": tally.notFound,
        "refused by the HTTP parser (431/cut)": tally.httpLayer,
        "genuine controls": tally.controls,
        kinds: tally.kinds.size,
        seconds: (run.elapsedMs / 1000).toFixed(1),
      });
    },
    timeoutFor(BUDGET_MS),
  );

  it("answers 404 to a genuine token at an unknown session, 401 to a forged one", async () => {
    const token = await server.mint();
    for (let i = 0; i < 20; i++) {
      const sessionId = i % 2 === 0 ? randomUUID() : `${randomUUID()}/../${i}`;
      const query = `sessionId=${encodeURIComponent(sessionId)}`;
      const genuine = await request("message-path", token, query, AbortSignal.timeout(10_000));
      const body = await genuine.text();
      shown.add(body);
      expect(genuine.status).toBe(404);
      expect(JSON.parse(body)).toMatchObject({ error: "session_not_found" });
      const at = token.lastIndexOf(".") - 10;
      const forgedToken = `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
      const forged = await request("message-bearer", forgedToken, query, AbortSignal.timeout(10_000));
      shown.add(await forged.text());
      expect(forged.status).toBe(401);
    }
  });

  it("refuses raw requests the fetch API cannot send: bytes outside ASCII, NUL, CRLF, no Host", async () => {
    const port = Number(new URL(server.url).port);
    const token = await server.mint();
    const raw = (head: Buffer) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port });
        let answer = "";
        socket.on("data", (chunk) => {
          answer += chunk.toString("latin1");
        });
        socket.on("close", () => resolve(answer));
        socket.on("error", () => resolve(answer));
        socket.write(head);
        setTimeout(() => socket.end(), 500);
      });
    const latin1 = (text: string) => Buffer.from(text, "latin1");
    const hostHeader = `127.0.0.1:${port}`;
    const heads: Buffer[] = [
      Buffer.concat([
        latin1("GET /"),
        Buffer.from([0xff, 0xfe, 0x80]),
        latin1(`${token}/sse HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`),
      ]),
      latin1(`GET /${token}\u0000/sse HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`),
      Buffer.concat([
        latin1(`GET /sse HTTP/1.1\r\nHost: ${hostHeader}\r\nAuthorization: Bearer `),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
        latin1("\r\n\r\n"),
      ]),
      latin1(
        `GET /sse HTTP/1.1\r\nHost: ${hostHeader}\r\nAuthorization: Bearer ${token.slice(0, 40)}\r\n ${token.slice(40)}\r\n\r\n`,
      ),
      latin1(`GET /sse HTTP/1.1\r\nHost: ${hostHeader}\r\nX-Altinity-MCP-Key: a\rb\r\n\r\n`),
      latin1(`GET /sse HTTP/1.1\r\nHost: ${hostHeader}\r\nX-Altinity-MCP-Key: \u0000${token}\r\n\r\n`),
      latin1(
        `POST /mcp HTTP/1.1\r\nHost: ${hostHeader}\r\nAuthorization: Bearer ${token.slice(0, -1)}\r\nContent-Length: 2\r\n\r\n{}`,
      ),
      latin1(`GET /${"%".repeat(30)}/sse HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`),
      latin1(`GET /${token.slice(0, -4)}%ZZ%/sse HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`),
      latin1(`GET /sse HTTP/1.0\r\nAuthorization: Bearer ${"A".repeat(40)}\r\n\r\n`),
      latin1(`GET http://evil.example/${token.slice(1)}/sse HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`),
    ];
    const answers = await Promise.all(heads.map(raw));
    for (const answer of answers) {
      shown.add(answer);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1]);
      // 400 is Node's parser refusing the request before the app sees it; the app itself says 401,
      // or 404 when the path segment is not shaped like a token.
      expect([400, 401, 404], answer.slice(0, 200)).toContain(status);
      if (status === 404) expect(answer).toContain("not_found");
      if (status === 401) expect(answer).toContain("invalid_token");
    }
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
  });

  it("leaks no token or secret into the logs or the answers", { timeout: timeoutFor(0) }, () => {
    const logs = server.logText();
    expect(logs.length).toBeGreaterThan(0);
    const checked = expectNoSecrets("the server log", [logs]) + expectNoSecrets("an answer", shown.all());
    // Fuzz tokens are too many to scan for one by one. Any 24 characters of a token that made it
    // into the log share a 16-character window starting at a multiple of 8 in the token: index
    // every window of the log's token-like runs, then probe each token at that stride.
    const runs = logs.match(/[A-Za-z0-9_-]{24,}/g) ?? [];
    const windows = new Set<string>();
    for (const run of runs) for (let i = 0; i + 16 <= run.length; i++) windows.add(run.slice(i, i + 16));
    const leaked = fuzzed.filter((token) => {
      if (token.length < 24) return false;
      for (let i = 0; i + 16 <= token.length; i += 8) if (windows.has(token.slice(i, i + 16))) return true;
      return false;
    });
    expect(leaked.map((token) => `${token.slice(0, 12)}… (${token.length} chars)`)).toEqual([]);
    reportFigures("token fuzzing secrets", {
      "log bytes": logs.length,
      "answers checked": shown.count,
      "secrets checked": checked,
      "token-like runs in log": runs.length,
    });
  });
});
