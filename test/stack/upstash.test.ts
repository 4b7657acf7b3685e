// Conformance of the local Upstash REST adapter + redis-server, driven only by the real clients.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/stack/net.ts";
import { type RedisService, startRedis } from "../../dev/stack/redis.ts";
import { RedisConnection } from "../../dev/stack/upstash-adapter.ts";

let dataDir: string;
let svc: RedisService;
let redis: Redis;

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "upstash-test-"));
	svc = await startRedis({
		dataDir,
		redisPort: await freePort(),
		httpPort: await freePort(),
		token: "test-token",
		persistent: true,
	});
	// Default client settings on purpose: auto-pipelining and base64 responses on.
	redis = new Redis({ url: svc.restUrl, token: svc.restToken });
});

afterAll(async () => {
	await svc?.close();
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const key = (name: string): string => `t:${name}:${Math.random().toString(36).slice(2)}`;

/** Window-based limiters reset at window edges; start a run well inside a window. */
async function awayFromWindowEdge(windowMs: number): Promise<void> {
	const into = Date.now() % windowMs;
	if (into > windowMs - 2000) await sleep(windowMs - into + 50);
}

describe("@upstash/redis against the adapter", () => {
	it("round-trips strings, including ones that look like base64 or OK", async () => {
		const k = key("str");
		for (const value of ["hello", "héllo ✓ 🚀", "T0s=", "OK", ""]) {
			expect(await redis.set(k, value)).toBe("OK");
			expect(await redis.get(k)).toBe(value);
		}
		expect(await redis.get(key("missing"))).toBeNull();
	});

	it("keeps numbers and JSON objects", async () => {
		const n = key("num");
		await redis.set(n, 42);
		expect(await redis.get(n)).toBe(42);
		const o = key("obj");
		await redis.set(o, { a: 1, b: ["x", true], c: null });
		expect(await redis.get(o)).toEqual({ a: 1, b: ["x", true], c: null });
	});

	it("does hashes: hset, hgetall, hincrby", async () => {
		const h = key("hash");
		expect(await redis.hset(h, { name: "ada", visits: 1 })).toBe(2);
		expect(await redis.hincrby(h, "visits", 5)).toBe(6);
		expect(await redis.hgetall(h)).toEqual({ name: "ada", visits: 6 });
	});

	it("expires keys: set ex, ttl, pexpire", async () => {
		const k = key("ttl");
		await redis.set(k, "v", { ex: 100 });
		const ttl = await redis.ttl(k);
		expect(ttl).toBeGreaterThan(95);
		expect(ttl).toBeLessThanOrEqual(100);
		expect(await redis.pexpire(k, 150)).toBe(1);
		const pttl = await redis.pttl(k);
		expect(pttl).toBeGreaterThan(0);
		expect(pttl).toBeLessThanOrEqual(150);
		await sleep(250);
		expect(await redis.get(k)).toBeNull();
		expect(await redis.ttl(k)).toBe(-2);
	});

	it("does incr, lists and del", async () => {
		const c = key("counter");
		expect(await redis.incr(c)).toBe(1);
		expect(await redis.incrby(c, 10)).toBe(11);
		const l = key("list");
		expect(await redis.rpush(l, "a", "b")).toBe(2);
		expect(await redis.lpush(l, "z")).toBe(3);
		expect(await redis.lrange(l, 0, -1)).toEqual(["z", "a", "b"]);
		expect(await redis.llen(l)).toBe(3);
		expect(await redis.del(c, l, key("never"))).toBe(2);
		expect(await redis.exists(c, l)).toBe(0);
	});

	it("stays consistent under concurrent requests from several clients", async () => {
		const c = key("concurrent");
		const clients = [redis, new Redis({ url: svc.restUrl, token: svc.restToken, enableAutoPipelining: false })];
		const results = await Promise.all(Array.from({ length: 60 }, (_, i) => clients[i % 2]?.incr(c)));
		expect(new Set(results).size).toBe(60);
		expect(await redis.get(c)).toBe(60);
	});

	it("runs explicit pipelines", async () => {
		const k = key("pipe");
		const res = await redis.pipeline().set(k, "v1").incr(`${k}:n`).get(k).hset(`${k}:h`, { f: 1 }).exec();
		expect(res).toEqual(["OK", 1, "v1", 1]);
	});

	it("runs multi-exec transactions", async () => {
		const k = key("tx");
		const res = await redis.multi().set(k, 5).incrby(k, 3).get(k).exec();
		expect(res).toEqual(["OK", 8, 8]);
	});

	it("rejects with the Redis error text", async () => {
		const k = key("notnum");
		await redis.set(k, "abc");
		await expect(redis.incr(k)).rejects.toThrow(/ERR value is not an integer/);
		await expect(redis.pipeline().get(k).incr(k).exec()).rejects.toThrow(/ERR value is not an integer/);
		// The failed command did not poison the rest of a pipeline.
		const kept = await redis.pipeline().get(k).incr(k).exec({ keepErrors: true });
		expect(kept[0]).toEqual({ error: undefined, result: "abc" });
		expect(kept[1]?.error).toMatch(/ERR value is not an integer/);
	});

	it("rejects a wrong token", async () => {
		const bad = new Redis({ url: svc.restUrl, token: "wrong" });
		await expect(bad.get("anything")).rejects.toThrow(/Unauthorized/);
	});
});

describe("@upstash/ratelimit against the adapter", () => {
	it("accepts the Upstash-only shebang flag and maps the client's EVALSHA hash", async () => {
		const script = `#!lua flags=allow-key-locking\nreturn redis.call("INCRBY", KEYS[1], ARGV[1])`;
		const k = key("lua");
		expect(await redis.eval(script, [k], [2])).toBe(2);
		const sha = createHash("sha1").update(script).digest("hex");
		expect(await redis.evalsha(sha, [k], [3])).toBe(5);
		const unknown = createHash("sha1").update(`${script}\n-- never sent`).digest("hex");
		await expect(redis.evalsha(unknown, [k], [1])).rejects.toThrow(/NOSCRIPT/);
	});

	it("slidingWindow: N pass, N+1 refused with limit/remaining/reset", async () => {
		const limiter = new Ratelimit({
			redis,
			limiter: Ratelimit.slidingWindow(5, "10 s"),
			ephemeralCache: new Map(),
			prefix: key("sw"),
		});
		await awayFromWindowEdge(10_000);
		const reset = (Math.floor(Date.now() / 10_000) + 1) * 10_000;
		for (let i = 1; i <= 5; i++) {
			const r = await limiter.limit("user");
			expect(r).toMatchObject({ success: true, limit: 5, remaining: 5 - i, reset });
		}
		const refused = await limiter.limit("user");
		expect(refused).toMatchObject({ success: false, limit: 5, remaining: 0, reset });
		expect(refused.reason).toBeUndefined(); // decided by Redis, not by a timeout or the cache
		expect((await limiter.limit("other")).success).toBe(true);
		expect(await limiter.getRemaining("user")).toMatchObject({ remaining: 0, reset });
	});

	it("fixedWindow: N pass, N+1 refused", async () => {
		const limiter = new Ratelimit({
			redis,
			limiter: Ratelimit.fixedWindow(3, "10 s"),
			ephemeralCache: false,
			prefix: key("fw"),
		});
		await awayFromWindowEdge(10_000);
		const reset = (Math.floor(Date.now() / 10_000) + 1) * 10_000;
		for (let i = 1; i <= 3; i++) {
			expect(await limiter.limit("user")).toMatchObject({ success: true, limit: 3, remaining: 3 - i, reset });
		}
		const refused = await limiter.limit("user");
		expect(refused).toMatchObject({ success: false, limit: 3, remaining: 0, reset });
		expect(refused.reason).toBeUndefined();
	});

	it("tokenBucket: maxTokens pass, then refused until refill", async () => {
		const limiter = new Ratelimit({
			redis,
			limiter: Ratelimit.tokenBucket(1, "10 s", 3),
			ephemeralCache: false,
			prefix: key("tb"),
		});
		const before = Date.now();
		for (let i = 1; i <= 3; i++) {
			expect(await limiter.limit("user")).toMatchObject({ success: true, limit: 3, remaining: 3 - i });
		}
		const refused = await limiter.limit("user");
		expect(refused).toMatchObject({ success: false, limit: 3, remaining: 0 });
		expect(refused.reason).toBeUndefined();
		expect(refused.reset).toBeGreaterThanOrEqual(before + 10_000);
		expect(refused.reset).toBeLessThanOrEqual(Date.now() + 10_000);
	});
});

describe("stop() and start()", () => {
	it("makes commands fail fast while redis-server is down and recovers (data kept with AOF)", async () => {
		const k = key("persist");
		await redis.set(k, "survives");
		await svc.stop();
		await expect(RedisConnection.open(svc.redisPort)).rejects.toThrow(/ECONNREFUSED/);
		const t0 = Date.now();
		await expect(redis.get(k)).rejects.toThrow(/redis-server unavailable/);
		await expect(redis.pipeline().get(k).exec()).rejects.toThrow();
		expect(Date.now() - t0).toBeLessThan(2000);
		await svc.start();
		expect(await redis.get(k)).toBe("survives");
		expect(await redis.incr(key("after"))).toBe(1);
	});
});
