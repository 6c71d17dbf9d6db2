// Integration tests of the pool against the run's embedded ClickHouse.
import { createServer } from "node:net";
import { harness } from "@mcp/test-harness";
import { describe, expect, it, vi } from "vitest";
import { type ConnectionClaims, createClickHousePool, type PooledClient } from "../index.js";

function claimsFor(
  user: { username: string; password: string },
  extra: ConnectionClaims = {},
): ConnectionClaims {
  const h = harness();
  return { host: h.host, port: h.httpPort, username: user.username, password: user.password, ...extra };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

describe("ClickHousePool against ClickHouse", () => {
  it("shares one client between tokens (claims with different jti/exp/iat) with the same connection claims; another password gets another", async () => {
    const h = harness();
    await using pool = createClickHousePool();
    // What a verified token carries besides the connection claims (jti, exp, iat) differs from
    // token to token; the pool keys on the connection claims only.
    const now = Math.floor(Date.now() / 1000);
    const verified = [1, 2, 3, 4, 5].map((i) => ({
      ...claimsFor(h.users.password),
      jti: `token-${i}`,
      iat: now,
      exp: now + 600 + i,
    }));
    expect(new Set(verified.map((claims) => JSON.stringify(claims))).size).toBe(5);
    const keys = new Set<string>();
    for (const claims of verified) {
      await pool.withClient(claims, async (client) => {
        await client.ping();
        keys.add(client.key);
      });
    }
    expect(keys.size).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 1, creations: 1, misses: 1, hits: 4 });

    const other = claimsFor({ username: h.users.password.username, password: "wrong-password" });
    await expect(pool.withClient(other, (client) => client.ping())).rejects.toMatchObject({
      code: "AUTH_FAILED",
    });
    expect(pool.stats()).toMatchObject({ size: 2, creations: 2 });
  });

  it("creates a single client for 50 concurrent first calls", async () => {
    const h = harness();
    await using pool = createClickHousePool();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        pool.withClient(claimsFor(h.users.admin), async (client) => {
          const result = await client.executeQuery(`SELECT ${i} AS i`, { readOnly: true });
          return { key: client.key, i: result.rows[0]?.i };
        }),
      ),
    );
    expect(new Set(results.map((r) => r.key)).size).toBe(1);
    expect(results.map((r) => r.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pool.stats()).toMatchObject({ creations: 1, misses: 1, hits: 49, inFlight: 0 });
  });

  it("evicts the least recently used client beyond maxClients and closes it", async () => {
    const h = harness();
    await using pool = createClickHousePool({ maxClients: 1 });
    let kept: PooledClient | undefined;
    await pool.withClient(claimsFor(h.users.admin), async (client) => {
      kept = client;
    });
    await pool.withClient(claimsFor(h.users.password), (client) => client.ping());
    expect(pool.stats()).toMatchObject({ size: 1, evictions: { lru: 1 } });
    await vi.waitFor(() => expect(pool.stats().pendingClose).toBe(0));
    await expect(kept!.executeQuery("SELECT 1", { readOnly: true })).rejects.toMatchObject({
      code: "POOL_CLOSED",
    });
  });

  it("closes clients idle for idleTimeoutMs", async () => {
    const h = harness();
    await using pool = createClickHousePool({ idleTimeoutMs: 50 });
    let kept: PooledClient | undefined;
    await pool.withClient(claimsFor(h.users.admin), async (client) => {
      kept = client;
      await client.ping();
    });
    await vi.waitFor(() =>
      expect(pool.stats()).toMatchObject({ size: 0, pendingClose: 0, evictions: { idle: 1 } }),
    );
    await expect(kept!.ping()).rejects.toMatchObject({ code: "POOL_CLOSED" });
    await pool.withClient(claimsFor(h.users.admin), (client) => client.ping());
    expect(pool.stats().creations).toBe(2);
  });

  it("lets an in-flight query finish when its client is evicted, then closes the client", async () => {
    const h = harness();
    await using pool = createClickHousePool({ maxClients: 1 });
    const started = deferred();
    const running = pool.withClient(claimsFor(h.users.admin), async (client) => {
      const query = client.executeQuery("SELECT sleep(0.3) AS s, 42 AS answer", { readOnly: true });
      started.resolve();
      return query;
    });
    await started.promise;
    await pool.withClient(claimsFor(h.users.password), (client) => client.ping());
    expect(pool.stats()).toMatchObject({ evictions: { lru: 1 }, pendingClose: 1 });
    const result = await running;
    expect(result.rows).toEqual([{ s: 0, answer: 42 }]);
    await vi.waitFor(() => expect(pool.stats().pendingClose).toBe(0));
  });

  it("close() drains in-flight queries, then refuses new work with POOL_CLOSED", async () => {
    const h = harness();
    const pool = createClickHousePool();
    const started = deferred();
    const running = pool.withClient(claimsFor(h.users.admin), async (client) => {
      const query = client.executeQuery("SELECT sleep(0.3) AS s, 7 AS n", { readOnly: true });
      started.resolve();
      return query;
    });
    await started.promise;
    let finishedFirst = false;
    void running.then(() => {
      finishedFirst = true;
    });
    await pool.close();
    expect(finishedFirst).toBe(true);
    await expect(running).resolves.toMatchObject({ rows: [{ n: 7 }] });
    await expect(pool.withClient(claimsFor(h.users.admin), (client) => client.ping())).rejects.toMatchObject({
      code: "POOL_CLOSED",
    });
    expect(pool.stats()).toMatchObject({ size: 0, inFlight: 0, pendingClose: 0, evictions: { closed: 1 } });
  });

  it("refuses hosts outside allowedHosts before creating anything", async () => {
    const h = harness();
    await using pool = createClickHousePool({ allowedHosts: ["10.0.0.0/8", "*.example.com"] });
    for (const host of [h.host, "localhost", "2130706433", "example.com"]) {
      await expect(
        pool.withClient(claimsFor(h.users.admin, { host }), (client) => client.ping()),
      ).rejects.toMatchObject({ code: "HOST_NOT_ALLOWED" });
    }
    expect(pool.stats()).toMatchObject({ size: 0, misses: 0, creations: 0 });

    await using open = createClickHousePool({ allowedHosts: ["127.0.0.0/8:*"] });
    await open.withClient(claimsFor(h.users.admin, { host: "127.1" }), (client) => client.ping());
  });

  it("refuses an unknown protocol before any network access", async () => {
    const h = harness();
    await using pool = createClickHousePool();
    const error = await pool
      .withClient(claimsFor(h.users.admin, { protocol: "grpc" as "http" }), (client) => client.ping())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNSUPPORTED_PROTOCOL" });
    expect(pool.stats().misses).toBe(0);
  });

  it("reports CONNECT_FAILED for a port nobody listens on, INVALID_CONNECTION for bad claims", async () => {
    const h = harness();
    await using pool = createClickHousePool();
    const port = await freePort();
    await expect(
      pool.withClient(claimsFor(h.users.admin, { port }), (client) => client.ping()),
    ).rejects.toMatchObject({ code: "CONNECT_FAILED", systemCode: "ECONNREFUSED" });
    await expect(
      pool.withClient(claimsFor(h.users.admin, { host: "bad host/x" }), (client) => client.ping()),
    ).rejects.toMatchObject({ code: "INVALID_CONNECTION" });
  });

  it("never puts the password into error messages", async () => {
    const h = harness();
    await using pool = createClickHousePool();
    const password = "a-distinctive-password-123";
    const error = await pool
      .withClient(claimsFor({ username: h.users.password.username, password }), (client) =>
        client.executeQuery("SELECT 1", { readOnly: true }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "AUTH_FAILED", clickhouseCode: 516 });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
      password,
    );
    expect((error as Error).message).toContain(h.users.password.username);
  });

  it("uses the default database from the claims", async () => {
    const h = harness();
    await using pool = createClickHousePool();
    const result = await pool.withClient({ host: h.host, port: h.httpPort, ...h.users.oneDb }, (client) =>
      client.executeQuery("SELECT currentDatabase() AS db, count() AS n FROM items", { readOnly: true }),
    );
    expect(result.rows).toEqual([{ db: h.users.oneDb.database, n: "2" }]);
  });
});
