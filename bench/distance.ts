/**
 * Part 5: store distance. Every store the worker talks to (the Upstash REST adapter, the Neon HTTP adapter, the
 * ClickHouse HTTP adapter) sits behind a loopback proxy (bench/distance-proxy.ts) that holds each request D ms;
 * `wrangler dev` serves the real worker pointed at the proxies. Each case alternates requests at D = 0 and at
 * D = BENCH_DISTANCE_MS in the same worker, so the difference of the medians divided by D is the number of store
 * round trips a request awaited. Requests go one at a time, each after the proxies have been quiet for a moment
 * (the previous request's background work has arrived and been answered), so the store requests that arrive while
 * a request is open are that request's own.
 *
 * Cases: warm (a key the isolate knows, under its limit); a key new to the isolate that Redis's key cache holds
 * (created in Postgres, its cache entry written into Redis with the worker's own RedisKeyCache, never seen by the
 * worker); a key only in Postgres (freshly created); a key over its limit (limit 2, exhausted first); GET /health.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { type CreatedKey, createApiKey } from "../dev/keys.ts";
import { migrateAll } from "../dev/migrate.ts";
import { freePort } from "../dev/stack/net.ts";
import type { Stack } from "../dev/stack/stack.ts";
import { hashApiKey } from "../src/auth/key.ts";
import { type DistanceProxy, type StoreName, startDistanceProxy } from "./distance-proxy.ts";
import { realConfig, startDev, stopDev } from "./e2e.ts";
import { logsBody } from "./payloads.ts";
import { createRedis, createSql, NeonApiKeyStore, RedisKeyCache } from "./src-stores.js";
import { median } from "./stats.ts";

export type DistanceCase = "warm" | "redis" | "postgres" | "overLimit" | "health";

/** One case at one distance. */
export interface DistanceSample {
	/** Latency of each request, ms (send → whole response read). */
	ms: number[];
	/** Store requests that arrived at a proxy between a request's send and its response, summed over the requests. */
	before: Record<StoreName, number>;
	/** Requests that had at least one Upstash or Neon request arrive before their answer. */
	requestsWithDecisionTraffic: number;
	/** Upstash commands that arrived from the case's first send until the proxies went quiet after its last response. */
	upstashCommands: number;
	/** What arrived before answers (e.g. "upstash evalsha ×200"), most frequent first. */
	what: string[];
	status: number[];
}

export interface DistanceReport {
	delayMs: number;
	cases: Record<DistanceCase, { near: DistanceSample; far: DistanceSample }>;
}

const QUIET_MS = 15;

/** Until no store request is open and none arrived or finished for QUIET_MS (at most 5 s). */
export async function untilQuiet(proxies: readonly DistanceProxy[]): Promise<void> {
	const deadline = performance.now() + 5_000;
	for (;;) {
		const now = performance.now();
		const busy = proxies.some((p) => p.inFlight > 0 || now - p.lastActivity < QUIET_MS);
		if (!busy || now > deadline) return;
		await new Promise((r) => setTimeout(r, 2));
	}
}

/** The proxies in front of the stack's three HTTP endpoints, and the stack's env rewritten to go through them. */
export async function proxiesFor(stack: Stack): Promise<{ proxies: DistanceProxy[]; env: Record<string, string> }> {
	const neon = new URL(stack.env.NEON_HTTP_ENDPOINT as string);
	const proxies = await Promise.all([
		startDistanceProxy("upstash", stack.env.UPSTASH_REDIS_REST_URL as string),
		startDistanceProxy("neon", neon.origin),
		startDistanceProxy("clickhouse", stack.env.CLICKHOUSE_URL as string),
	]);
	const [upstash, neonProxy, clickhouse] = proxies as [DistanceProxy, DistanceProxy, DistanceProxy];
	const env = {
		...stack.env,
		UPSTASH_REDIS_REST_URL: upstash.url,
		NEON_HTTP_ENDPOINT: `${neonProxy.url}${neon.pathname}${neon.search}`,
		CLICKHOUSE_URL: clickhouse.url,
	};
	return { proxies, env };
}

export async function runDistance(
	stack: Stack,
	opts: { dir: string; delayMs: number; warmRequests: number; samples: number; log?: (line: string) => void },
): Promise<DistanceReport> {
	await migrateAll(stack.env);
	const { proxies, env } = await proxiesFor(stack);
	const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
	// A failed run stops the stack under this connection: that must not become an unhandled 'error' event.
	db.on("error", () => {});
	let worker: ChildProcess | undefined;
	try {
		await db.connect();
		// Seeding talks to the stack directly, never through the proxies: it is not the worker's traffic.
		const keyStore = new NeonApiKeyStore(
			createSql({ databaseUrl: stack.env.DATABASE_URL as string, neonHttpEndpoint: stack.env.NEON_HTTP_ENDPOINT }),
		);
		const keyCache = new RedisKeyCache(
			createRedis({
				url: stack.env.UPSTASH_REDIS_REST_URL as string,
				token: stack.env.UPSTASH_REDIS_REST_TOKEN as string,
			}),
		);
		const project = `bench-distance-${Date.now()}`;
		const newKey = (rateLimit: number, name: string): Promise<CreatedKey> =>
			createApiKey(db, { project, name, rateLimit });

		const workerDir = join(opts.dir, "distance");
		mkdirSync(workerDir, { recursive: true });
		const port = await freePort();
		worker = await startDev(realConfig(workerDir, env), port, join(workerDir, "state"));
		const base = `http://127.0.0.1:${port}`;
		const body = logsBody(1);

		const setDelay = (ms: number) => {
			for (const p of proxies) p.delayMs = ms;
		};
		const quiet = () => untilQuiet(proxies);
		const ingest = (key: string) =>
			fetch(`${base}/ingest/logs`, {
				method: "POST",
				headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
				body,
			});

		const emptySample = (): DistanceSample => ({
			ms: [],
			before: { upstash: 0, neon: 0, clickhouse: 0 },
			requestsWithDecisionTraffic: 0,
			upstashCommands: 0,
			what: [],
			status: [],
		});

		/**
		 * Sends `count` requests at D = 0 and `count` at D, alternating (so load on the machine hits both alike), one
		 * at a time; `prepare` runs before each, untimed. A request's Upstash commands are those that arrived from its
		 * send until the proxies went quiet after its answer (its background work included).
		 */
		async function measure(
			name: string,
			count: number,
			send: () => Promise<Response>,
			prepare?: (delay: number) => Promise<void>,
		): Promise<{ near: DistanceSample; far: DistanceSample }> {
			opts.log?.(`store distance: ${name}…`);
			const near = emptySample();
			const far = emptySample();
			const what = new Map<string, number>();
			for (let i = 0; i < count; i++) {
				for (const [delay, sample] of [
					[0, near],
					[opts.delayMs, far],
				] as const) {
					setDelay(delay);
					await prepare?.(delay);
					await quiet();
					const seen = proxies.map((p) => p.arrivals.length);
					const t0 = performance.now();
					const res = await send();
					await res.arrayBuffer();
					const t1 = performance.now();
					sample.ms.push(t1 - t0);
					sample.status.push(res.status);
					await quiet();
					let any = false;
					for (const [j, p] of proxies.entries()) {
						for (const a of p.arrivals.slice(seen[j])) {
							if (a.store === "upstash") sample.upstashCommands += a.commands;
							if (a.at < t0 || a.at > t1) continue;
							if (a.store !== "clickhouse") any = true;
							sample.before[a.store]++;
							if (sample === far) {
								const label = `${a.store} ${a.what}`;
								what.set(label, (what.get(label) ?? 0) + 1);
							}
						}
					}
					if (any) sample.requestsWithDecisionTraffic++;
				}
			}
			setDelay(0);
			far.what = [...what].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label} ×${n}`);
			return { near, far };
		}

		const cases: Partial<DistanceReport["cases"]> = {};
		const expect = <T extends { near: DistanceSample; far: DistanceSample }>(pair: T, status: number, what: string) => {
			const wrong = [...pair.near.status, ...pair.far.status].filter((s) => s !== status);
			if (wrong.length > 0) throw new Error(`${what}: expected ${status}, got ${wrong.join(", ")}`);
			return pair;
		};

		const warmKey = await newKey(10_000_000, "warm");
		// Known to the isolate: key cached, limiter script loaded, first insert done.
		expect(await measure("warm-up", 2, () => ingest(warmKey.key)), 200, "warm-up");
		cases.warm = expect(await measure("warm", opts.warmRequests, () => ingest(warmKey.key)), 200, "warm request");

		let key: CreatedKey | undefined;
		const fresh = () => ingest((key as CreatedKey).key);
		cases.redis = expect(
			await measure("redis", opts.samples, fresh, async (d) => {
				key = await newKey(10_000_000, `in Redis, at ${d} ms`);
				const hash = await hashApiKey(key.key);
				const record = await keyStore.findByHash(hash);
				if (!record) throw new Error("a key just created was not found");
				await keyCache.set(hash, { record, fetchedAt: Date.now() });
			}),
			200,
			"key in Redis",
		);
		cases.postgres = expect(
			await measure("postgres", opts.samples, fresh, async (d) => {
				key = await newKey(10_000_000, `only in Postgres, at ${d} ms`);
			}),
			200,
			"key only in Postgres",
		);

		const limited = await newKey(2, "over its limit");
		for (let i = 0; i < 30; i++) {
			const res = await ingest(limited.key);
			await res.arrayBuffer();
			if (res.status === 429) break;
		}
		cases.overLimit = expect(
			await measure("overLimit", opts.samples, () => ingest(limited.key)),
			429,
			"over-limit key",
		);
		cases.health = await measure("health", Math.max(opts.samples, 20), () => fetch(`${base}/health`));
		return { delayMs: opts.delayMs, cases: cases as DistanceReport["cases"] };
	} finally {
		if (worker) await stopDev(worker);
		await db.end().catch(() => undefined);
		await Promise.all(proxies.map((p) => p.close()));
	}
}

/** Awaited round trips: the extra time at distance D over D itself. */
export function roundTrips(nearMs: number, farMs: number, delayMs: number): number {
	return (farMs - nearMs) / delayMs;
}

export function percentile(xs: number[], p: number): number {
	if (p === 50) return median(xs);
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}
