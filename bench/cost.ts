/**
 * Part 7: what each kind of request costs, counted. The real worker (through bench/cost-worker.ts, which counts its R2
 * calls and console lines) and the floor (bench/bare-insert-worker.ts) run under `wrangler dev` on the bench's stack,
 * every store behind the loopback proxies of the store-distance part (bench/distance-proxy.ts: requests, Upstash
 * commands, Neon statements, bytes), and redis-server's own INFO commandstats counts what Upstash bills (a script's
 * inner calls included). Per kind, with a key of the default limit, requests go one at a time:
 *   cold    the first request of a key new to the isolate and to Redis's key cache;
 *   steady  N requests after a warm-up, their background work included (the window closes once the rate-limit
 *           flush interval T has passed and the proxies are quiet), divided by N.
 * The floor gets the same requests. The rows both acknowledged are checked in ClickHouse.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { createApiKey } from "../dev/keys.ts";
import { formatDotenv } from "../dev/local-env.ts";
import { migrateAll } from "../dev/migrate.ts";
import { freePort } from "../dev/stack/net.ts";
import type { Stack } from "../dev/stack/stack.ts";
import { RedisConnection } from "../dev/stack/upstash-adapter.ts";
import { knobsFor } from "../src/ratelimit/budget.ts";
import { FLOOR_PROJECT } from "./bare-insert.ts";
import { ROOT } from "./bundle.ts";
import { COST_KINDS, type CostKind, type CostKindName, mapsUpload } from "./cost-kinds.ts";
import type { CostCounters } from "./cost-worker.ts";
import { proxiesFor, untilQuiet } from "./distance.ts";
import type { DistanceProxy } from "./distance-proxy.ts";
import { realConfig, startDev, stopDev } from "./e2e.ts";

/** What a window of requests caused, summed (divide by `requests` for a mean). */
export interface Counts {
	requests: number;
	ms: number;
	upstash: { requests: number; commands: number; billed: number; byCommand: Record<string, number> };
	neon: { requests: number; statements: number; what: Record<string, number> };
	clickhouse: { requests: number; inserts: number; bytes: number };
	r2: CostCounters["r2"];
	console: CostCounters["console"];
}

export interface KindReport {
	kind: CostKindName;
	label: string;
	rowsPerRequest: number;
	cold: Counts;
	steady: Counts;
	floor: Counts;
}

export interface CostReport {
	requests: number;
	warmup: number;
	concurrency: number;
	rateLimit: number;
	batch: number;
	flushMs: number;
	kinds: KindReport[];
	/** Uploading the fixture's maps (one request, one map). */
	upload: Counts;
}

// Redis's commands that Upstash does not bill (its pricing page), and MULTI/EXEC, which the local adapter wraps
// around a /multi-exec body: Upstash counts the commands inside.
const UNBILLED = new Set([
	"auth",
	"hello",
	"select",
	"command",
	"config",
	"info",
	"ping",
	"reset",
	"quit",
	"multi",
	"exec",
]);

/** Calls per command since the last CONFIG RESETSTAT, from redis-server itself (scripts' redis.call included). */
async function commandStats(redis: RedisConnection): Promise<Record<string, number>> {
	const [reply] = await redis.send([["INFO", "commandstats"]]);
	const out: Record<string, number> = {};
	for (const line of String(reply).split("\r\n")) {
		const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
		if (m) out[m[1] as string] = Number(m[2]);
	}
	return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCost(
	stack: Stack,
	opts: {
		dir: string;
		requests: number;
		warmup: number;
		concurrency: number;
		compatibilityDate: string;
		log?: (line: string) => void;
	},
): Promise<CostReport> {
	await migrateAll(stack.env);
	const { proxies, env } = await proxiesFor(stack);
	const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
	db.on("error", () => {});
	const redis = await RedisConnection.open(stack.redis.redisPort);
	const ch = createClient({
		url: stack.env.CLICKHOUSE_URL,
		username: stack.env.CLICKHOUSE_USER,
		password: stack.env.CLICKHOUSE_PASSWORD,
		database: stack.env.CLICKHOUSE_DATABASE,
	});
	const workers: ChildProcess[] = [];
	// The floor's refused inserts are logged there (bench/bare-insert-worker.ts).
	let floorOutput = "";
	try {
		await db.connect();
		const [realPort, floorPort] = [await freePort(), await freePort()];
		const realDir = join(opts.dir, "cost-real");
		const floorDir = join(opts.dir, "cost-floor");
		mkdirSync(realDir, { recursive: true });
		mkdirSync(floorDir, { recursive: true });
		workers.push(
			...(await Promise.all([
				startDev(countingConfig(realDir, env), realPort, join(realDir, "state")),
				startDev(floorConfig(floorDir, env, opts.compatibilityDate), floorPort, join(floorDir, "state"), {
					onOutput: (chunk) => {
						floorOutput = (floorOutput + chunk).slice(-2000);
					},
				}),
			])),
		);
		const real = `http://127.0.0.1:${realPort}`;
		const floor = `http://127.0.0.1:${floorPort}`;
		const counters = async (reset: boolean): Promise<CostCounters> => {
			const res = await fetch(`${real}/__cost/counters${reset ? "?reset" : ""}`);
			return (await res.json()) as CostCounters;
		};
		const flushMs = Number(env.RATE_LIMIT_FLUSH_MS ?? 1000);

		/**
		 * Runs `send` and counts what it caused, its background work included: with `settle`, the window stays open
		 * until admissions not yet reported have gone out (after at most T) and the proxies are quiet.
		 */
		async function window(send: () => Promise<number>, settle = true, inserts = 1): Promise<Counts> {
			await untilQuiet(proxies);
			const seen = proxies.map((p) => p.arrivals.length);
			await redis.send([["CONFIG", "RESETSTAT"]]);
			await counters(true);
			const t0 = performance.now();
			const requests = await send();
			const ms = performance.now() - t0;
			if (settle) await sleep(flushMs + 100);
			// Each request's insert starts after its answer: on a loaded machine it may not have arrived yet.
			const clickhouse = proxies.findIndex((p) => p.store === "clickhouse");
			const arrived = () =>
				proxies[clickhouse]?.arrivals.slice(seen[clickhouse]).filter((a) => /^INSERT/i.test(a.what)).length ?? 0;
			for (
				const deadline = performance.now() + 15_000;
				arrived() < requests * inserts && performance.now() < deadline;
			)
				await sleep(10);
			await untilQuiet(proxies);
			const stats = await commandStats(redis);
			const after = await counters(false);
			const counts: Counts = {
				requests,
				ms,
				upstash: { requests: 0, commands: 0, billed: 0, byCommand: {} },
				neon: { requests: 0, statements: 0, what: {} },
				clickhouse: { requests: 0, inserts: 0, bytes: 0 },
				r2: after.r2,
				console: after.console,
			};
			for (const [name, calls] of Object.entries(stats)) {
				// Subcommands read "config|resetstat": the command is the part before the bar.
				if (UNBILLED.has(name.toLowerCase().split("|")[0] as string)) continue;
				counts.upstash.billed += calls;
				counts.upstash.byCommand[name] = calls;
			}
			proxies.forEach((p: DistanceProxy, j) => {
				for (const a of p.arrivals.slice(seen[j])) {
					if (a.store === "upstash") {
						counts.upstash.requests++;
						counts.upstash.commands += a.commands;
					} else if (a.store === "neon") {
						counts.neon.requests++;
						counts.neon.statements += a.commands;
						counts.neon.what[a.what] = (counts.neon.what[a.what] ?? 0) + a.commands;
					} else {
						counts.clickhouse.requests++;
						if (/^INSERT/i.test(a.what)) {
							counts.clickhouse.inserts++;
							counts.clickhouse.bytes += a.bytes;
						}
					}
				}
			});
			return counts;
		}

		const rowsIn = async (table: string, project: string) => {
			const rs = await ch.query({
				query: `SELECT count() AS n FROM ${table} WHERE project_id = {p:UUID}`,
				query_params: { p: project },
				format: "JSONEachRow",
			});
			return Number(((await rs.json()) as { n: string }[])[0]?.n ?? 0);
		};

		const limit = 5_000; // the default RATE_LIMIT_PER_MINUTE: the batch B that reports admissions follows from it
		let sent = 0;
		const post = async (base: string, kind: CostKind, key: string) => {
			const res = await fetch(`${base}${kind.path}`, {
				method: "POST",
				headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
				body: kind.body(sent++),
			});
			const text = await res.text();
			if (res.status !== 200) throw new Error(`${kind.name} at ${base}: ${res.status} ${text.slice(0, 300)}`);
			return JSON.parse(text) as { count?: number };
		};
		/** n requests, `opts.concurrency` at a time (as a few SDK instances send), each answered 200. */
		const times = (n: number, base: string, kind: CostKind, key: string) => async () => {
			let next = 0;
			const lane = async () => {
				while (next < n) {
					next++;
					await post(base, kind, key);
				}
			};
			await Promise.all(Array.from({ length: Math.min(n, opts.concurrency) }, lane));
			return n;
		};

		const kinds: KindReport[] = [];
		let upload: Counts | undefined;
		const stamp = Date.now();
		for (const kind of COST_KINDS) {
			opts.log?.(`cost: ${kind.label}…`);
			const key = await createApiKey(db, {
				project: `bench-cost-${kind.name}-${stamp}`,
				name: "cost",
				rateLimit: limit,
			});
			if (kind.mapsRelease) {
				const release = kind.mapsRelease;
				upload = await window(
					async () => {
						const res = await fetch(mapsUpload(`${real}/ingest/sourcemaps`, key.key, release));
						if (res.status !== 200) throw new Error(`maps upload: ${res.status} ${await res.text()}`);
						return 1;
					},
					true,
					0,
				);
			}
			const cold = await window(times(1, real, kind, key.key));
			await window(times(opts.warmup, real, kind, key.key), false);
			const before = await rowsIn(kind.table, key.projectId);
			const steady = await window(times(opts.requests, real, kind, key.key));
			const landed = (await rowsIn(kind.table, key.projectId)) - before;
			const rowsPerRequest = landed / opts.requests;
			if (!Number.isInteger(rowsPerRequest) || rowsPerRequest < 1)
				throw new Error(`${kind.name}: ${landed} rows landed for ${opts.requests} requests`);
			if (kind.mapsRelease) await expectResolved(ch, key.projectId);

			await window(times(opts.warmup + 1, floor, kind, "floor"), false);
			const floorBefore = await rowsIn(kind.table, FLOOR_PROJECT);
			const floorCounts = await window(times(opts.requests, floor, kind, "floor"), false);
			const floorLanded = (await rowsIn(kind.table, FLOOR_PROJECT)) - floorBefore;
			if (floorLanded !== landed)
				throw new Error(
					`${kind.name}: the floor stored ${floorLanded} rows in ${floorCounts.clickhouse.inserts} inserts, the worker ${landed}:\n${floorOutput}`,
				);
			kinds.push({ kind: kind.name, label: kind.label, rowsPerRequest, cold, steady, floor: floorCounts });
		}
		return {
			requests: opts.requests,
			warmup: opts.warmup,
			concurrency: opts.concurrency,
			rateLimit: limit,
			batch: knobsFor(limit).batch,
			flushMs,
			kinds,
			upload: upload as Counts,
		};
	} finally {
		await Promise.all(workers.map(stopDev));
		redis.close();
		await ch.close();
		await db.end().catch(() => undefined);
		await Promise.all(proxies.map((p) => p.close()));
	}
}

async function expectResolved(ch: ReturnType<typeof createClient>, project: string): Promise<void> {
	const rs = await ch.query({
		query: "SELECT symbolication AS s, count() AS n FROM errors WHERE project_id = {p:UUID} GROUP BY s",
		query_params: { p: project },
		format: "JSONEachRow",
	});
	const rows = (await rs.json()) as { s: string; n: string }[];
	if (rows.some((r) => r.s !== "resolved"))
		throw new Error(`errors through a source map were not all resolved: ${JSON.stringify(rows)}`);
}

/** The project's wrangler.toml (as realConfig writes it) serving bench/cost-worker.ts, the counting wrapper. */
function countingConfig(dir: string, env: Record<string, string>): string {
	const path = realConfig(dir, env);
	const toml = readFileSync(path, "utf8").replace(
		/^main\s*=\s*"[^"]+"/m,
		`main = ${JSON.stringify(join(ROOT, "bench/cost-worker.ts"))}`,
	);
	writeFileSync(path, toml);
	return path;
}

/** The floor worker's config, next to a .dev.vars with the ClickHouse settings (through its proxy). */
function floorConfig(dir: string, env: Record<string, string>, compatibilityDate: string): string {
	const path = join(dir, "wrangler.toml");
	writeFileSync(
		path,
		`name = "bench-floor"\nmain = ${JSON.stringify(join(ROOT, "bench/bare-insert-worker.ts"))}\ncompatibility_date = "${compatibilityDate}"\nminify = true\n`,
	);
	const names = ["CLICKHOUSE_URL", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_DATABASE"];
	writeFileSync(join(dir, ".dev.vars"), formatDotenv(Object.fromEntries(names.map((n) => [n, env[n] ?? ""]))), {
		mode: 0o600,
	});
	return path;
}
