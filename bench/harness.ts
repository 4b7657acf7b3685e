/**
 * The in-process request-path benchmark, runtime-agnostic: the same code runs on Node (bench/cpu.ts) and
 * inside workerd (bench/workerd-bench.ts). The app is the real createApp with every store answered from
 * memory (cache hits); the floor is JSON.parse + JSON.stringify of the same body text.
 */

import type { ApiKeyRecord, Services } from "../src/ports.ts";
import { keyRecord, memoryServices } from "../test/support/memory-services.ts";
import { createBareApp } from "./bare-app.ts";

export { type BenchCase, benchCases } from "./cases.ts";
export { median } from "./stats.ts";

import type { BenchCase } from "./cases.ts";
import { createApp } from "./src-app.js";

export const API_KEY = `dt_${"b3nchK3y".repeat(5)}`;

/** Valid settings (see src/config.ts); nothing is contacted, the services below answer from memory. */
export const ENV = {
	DATABASE_URL: "postgres://bench:bench@127.0.0.1:5432/bench",
	UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
	UPSTASH_REDIS_REST_TOKEN: "bench-token",
	CLICKHOUSE_URL: "http://127.0.0.1:8123",
	CLICKHOUSE_USER: "default",
	CLICKHOUSE_PASSWORD: "",
	CLICKHOUSE_DATABASE: "deeptracer",
	RATE_LIMIT_PER_MINUTE: "5000",
	// Rate-limit reports at the next turn instead of after production's 1 s: a batch waits for its background work,
	// and a second of idle waiting would swamp the wall-time figures (the reports' CPU is counted either way).
	RATE_LIMIT_FLUSH_MS: "0",
};

const RECORD: ApiKeyRecord = keyRecord({
	id: "0b5c8f8e-3a35-4c55-9b0e-5a1f2d3c4b5a",
	projectId: "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
	projectName: "bench",
});

/** The project of the bench's key: where the source-map benches put their maps. */
export const BENCH_PROJECT_ID = RECORD.projectId;

/**
 * The stores behind their ports, answered from memory (test/support/memory-services.ts, the route tier's): a known
 * key, a limiter that always allows, writes that resolve at once and keep nothing, a project without source maps.
 */
export function benchServices(): Services {
	return memoryServices({ anyKey: RECORD, keepRows: false, unlimited: true }).services;
}

/** A minimal ExecutionContext that keeps the background work so a batch can wait for it (Workers bill it too). */
export function benchContext() {
	const pending: Promise<unknown>[] = [];
	return {
		pending,
		ctx: {
			waitUntil(p: Promise<unknown>) {
				pending.push(p);
			},
			passThroughOnException() {},
			props: {},
		},
	};
}

const utf8 = new TextEncoder();

/** Method and headers of a request as an SDK sends it: its Content-Length declared, as fetch does. */
export function benchRequestInit(length: number) {
	return {
		method: "POST",
		headers: {
			authorization: `Bearer ${API_KEY}`,
			"content-type": "application/json",
			"content-length": String(length),
		},
	};
}

/**
 * A request as an SDK sends it (a Request built in-process has no Content-Length unless given, and the app
 * would take the chunked-body path).
 */
export function benchRequest(
	c: Pick<BenchCase, "path" | "body">,
	body: string | Uint8Array<ArrayBuffer> = c.body,
): Request {
	const length = typeof body === "string" ? utf8.encode(body).byteLength : body.byteLength;
	return new Request(`https://ingest.bench${c.path}`, { ...benchRequestInit(length), body });
}

/** Silences console.log/console.error: the wide event is still serialised by the app, only the write is dropped. */
export function silenceConsole(): void {
	const noop = () => undefined;
	console.log = noop;
	console.error = noop;
}

type Fetcher = (req: Request, env: object, ctx: ReturnType<typeof benchContext>["ctx"]) => Response | Promise<Response>;

/** Nanoseconds spent between begin() and end(): wall time always, CPU time where the runtime exposes it. */
export interface Reading {
	wall: number;
	cpu: number | null;
}
export interface Clock {
	begin(): void;
	end(): Reading;
}

export interface Runner {
	/** Runs `k` requests of the case through its app (requests built before timing starts), waiting for background work. */
	app(c: BenchCase, k: number, clock: Clock): Promise<Reading>;
	/** Runs `k` times JSON.stringify(JSON.parse(body)). */
	floor(c: BenchCase, k: number, clock: Clock): Reading;
}

export function createRunner(): Runner {
	// Built once, as the worker builds its services once per isolate (src/services/index.ts isolateServices): what an
	// isolate keeps per store (the price table's copy) lasts across requests here too.
	const services = benchServices();
	const app = createApp({ createServices: () => services });
	const bare = createBareApp();
	const fetchers: Record<BenchCase["app"], Fetcher> = {
		app: (req, env, ctx) => app.fetch(req, env, ctx),
		bare: (req, env, ctx) => bare.fetch(req, env, ctx),
	};
	let sink = 0;
	let variant = 0;
	return {
		async app(c, k, clock) {
			const requests = Array.from({ length: k }, () => benchRequest(c, c.vary ? c.vary(variant++) : c.body));
			const { pending, ctx } = benchContext();
			const fetcher = fetchers[c.app];
			clock.begin();
			for (const req of requests) {
				const res = await fetcher(req, ENV, ctx);
				if (res.status !== 200) throw new Error(`${c.name}: status ${res.status}: ${await res.text()}`);
			}
			await Promise.all(pending);
			return clock.end();
		},
		floor(c, k, clock) {
			clock.begin();
			for (let i = 0; i < k; i++) sink += JSON.stringify(JSON.parse(c.body)).length;
			const reading = clock.end();
			if (sink < 0) throw new Error("unreachable");
			return reading;
		},
	};
}

/** Per-operation figures of one round: the app and its floor measured back to back (order alternating by round). */
export interface RoundResult {
	app: Reading;
	floor: Reading;
}

const perOp = (r: Reading, k: number): Reading => ({ wall: r.wall / k, cpu: r.cpu === null ? null : r.cpu / k });

/** Batch sizes of a case: each side runs long enough for the clock's resolution (workerd's is coarse). */
export interface BatchSizes {
	app: number;
	floor: number;
}

export async function runRound(
	runner: Runner,
	c: BenchCase,
	k: BatchSizes,
	round: number,
	clock: Clock,
): Promise<RoundResult> {
	if (round % 2 === 0) {
		const app = await runner.app(c, k.app, clock);
		const floor = runner.floor(c, k.floor, clock);
		return { app: perOp(app, k.app), floor: perOp(floor, k.floor) };
	}
	const floor = runner.floor(c, k.floor, clock);
	const app = await runner.app(c, k.app, clock);
	return { app: perOp(app, k.app), floor: perOp(floor, k.floor) };
}

/** Warms the case up (JIT, caches) for about `warmMs`, then sizes the batches so that each side takes about `batchMs`. */
export async function calibrate(
	runner: Runner,
	c: BenchCase,
	clock: Clock,
	warmMs: number,
	batchMs: number,
): Promise<BatchSizes> {
	const k = { app: 1, floor: 1 };
	const last = { app: 0, floor: 0 };
	const started = clock;
	let spent = 0;
	while (spent < warmMs || last.app === 0 || last.floor === 0) {
		const a = await runner.app(c, k.app, started);
		const f = runner.floor(c, k.floor, started);
		last.app = a.wall / k.app;
		last.floor = f.wall / k.floor;
		spent += (a.wall + f.wall) / 1e6;
		if (a.wall < 10e6) k.app *= 2;
		if (f.wall < 10e6) k.floor *= 2;
	}
	const size = (perOp: number) => Math.max(1, Math.round((batchMs * 1e6) / Math.max(perOp, 1)));
	return { app: size(last.app), floor: size(last.floor) };
}
