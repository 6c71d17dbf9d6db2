import { createHash, webcrypto } from "node:crypto";
import { createTokenVerifier } from "@mcp/jwe";
import { compactDecrypt, compactVerify } from "jose";
import type { Plan } from "../plan.js";
import { fmtRate, fmtRatio, type ScenarioReport } from "../report.js";
import { type BenchEnv, benchClaims, mint } from "../setup.js";
import { median, ratio } from "../stats.js";

export interface TokenData {
  /** verifications per second (one core, sequential), median over blocks */
  coldPerSecond: number;
  warmPerSecond: number;
  josePerSecond: number;
  /** microseconds per verification */
  coldUs: number;
  warmUs: number;
  joseUs: number;
  warmOverCold: number | undefined;
}

/** Sequential calls for `ms`; returns calls per second. */
async function opsPerSecond(fn: () => Promise<unknown>, ms: number): Promise<number> {
  const started = performance.now();
  const end = started + ms;
  let count = 0;
  // Checking the clock every 16 calls keeps its cost out of the warm path's few microseconds.
  while (true) {
    for (let i = 0; i < 16; i++) await fn();
    count += 16;
    if (performance.now() >= end) break;
  }
  return (count * 1000) / (performance.now() - started);
}

function sha256(secret: string): Uint8Array {
  return createHash("sha256").update(secret, "utf8").digest();
}

export async function runTokenScenario(
  env: BenchEnv,
  plan: Plan,
): Promise<ScenarioReport & { data: TokenData }> {
  const started = performance.now();
  const token = await mint(env, benchClaims(env));
  const options = { jweSecrets: [env.jweSecret], jwtSecret: env.jwtSecret };
  const cold = createTokenVerifier({ ...options, cache: false });
  const warm = createTokenVerifier(options);
  const wrapKey = await webcrypto.subtle.importKey("raw", sha256(env.jweSecret), "AES-KW", false, [
    "unwrapKey",
  ]);
  const hmacKey = await webcrypto.subtle.importKey(
    "raw",
    sha256(env.jwtSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const decoder = new TextDecoder();
  const variants: [string, () => Promise<unknown>][] = [
    ["cold", () => cold.verify(token)],
    ["warm", () => warm.verify(token)],
    [
      "jose",
      async () => {
        const { plaintext } = await compactDecrypt(token, wrapKey);
        return compactVerify(decoder.decode(plaintext), hmacKey);
      },
    ],
  ];
  // The three must agree that the token is good before any of them is timed.
  for (const [, fn] of variants) await fn();
  for (const [, fn] of variants) await opsPerSecond(fn, plan.token.warmupMs);

  const rates = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let block = 0; block < plan.token.blocks; block++) {
    const order = [...variants.slice(block % 3), ...variants.slice(0, block % 3)];
    for (const [name, fn] of order) rates.get(name)?.push(await opsPerSecond(fn, plan.token.blockMs));
  }
  const perSecond = (name: string) => median(rates.get(name) ?? []);
  const data: TokenData = {
    coldPerSecond: perSecond("cold"),
    warmPerSecond: perSecond("warm"),
    josePerSecond: perSecond("jose"),
    coldUs: 1e6 / perSecond("cold"),
    warmUs: 1e6 / perSecond("warm"),
    joseUs: 1e6 / perSecond("jose"),
    warmOverCold: ratio(perSecond("warm"), perSecond("cold")),
  };
  const us = (value: number) => (value >= 10 ? value.toFixed(1) : value.toFixed(2));
  return {
    name: "token",
    durationMs: performance.now() - started,
    skipped: [],
    data,
    tables: [
      {
        title: "1. Token check (one core, sequential)",
        columns: ["Variant", "Verifications/s", "µs each", "vs cold"],
        rows: [
          ["cold: createTokenVerifier, cache off", fmtRate(data.coldPerSecond), us(data.coldUs), "1.00×"],
          [
            "warm: createTokenVerifier, cache hit",
            fmtRate(data.warmPerSecond),
            us(data.warmUs),
            fmtRatio(data.warmOverCold),
          ],
          [
            "bare jose: compactDecrypt + compactVerify",
            fmtRate(data.josePerSecond),
            us(data.joseUs),
            fmtRatio(ratio(data.josePerSecond, data.coldPerSecond)),
          ],
        ],
        notes: [
          `Median of ${plan.token.blocks} interleaved blocks of ${plan.token.blockMs} ms each. Bare jose skips our ` +
            "shape, algorithm, claim and time checks; cold = jose + those checks.",
        ],
      },
    ],
  };
}
