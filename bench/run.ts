/**
 * `npm run bench`: the request path against its floor, the bundle, end to end on the local stack, and peak
 * memory, side by side in one run; one table. A benchmark, not a test: a missed target is reported, never an
 * exit code (only a crash exits non-zero). Everything it starts is stopped at the end, also on Ctrl-C.
 *
 * Knobs (environment): BENCH_ROUNDS (15), BENCH_E2E_SECONDS (12), BENCH_E2E_CONNECTIONS (16),
 * BENCH_STARTUP_RUNS (5), BENCH_SKIP (comma list of: node, workerd, bundle, e2e, memory, sourcemaps, distance, cost), BENCH_ONLY (the
 * same names: run only these), BENCH_CASES (Part 1: comma list of case names, e.g. log1,bare1), BENCH_DISTANCE_MS (50),
 * BENCH_DISTANCE_WARM (200 warm requests per distance), BENCH_DISTANCE_SAMPLES (7 per cold case and distance);
 * cost (bench/cost.ts): BENCH_COST_REQUESTS (100 per kind), BENCH_COST_WARMUP (10), BENCH_COST_CONCURRENCY (4),
 * BENCH_COST_ROUNDS (9 CPU rounds per kind in workerd).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "../dev/stack/stack.ts";
import {
	type BundleReport,
	bareConfig,
	buildBundle,
	compatibilityDate,
	killWranglerCommands,
	startupMs,
} from "./bundle.ts";
import { benchCases } from "./cases.ts";
import { killChildren, runChild } from "./child.ts";
import { type CostReport, runCost } from "./cost.ts";
import type { CostCpu } from "./cost-cpu.ts";
import { renderCost } from "./cost-report.ts";
import { type DistanceReport, percentile, roundTrips, runDistance } from "./distance.ts";
import { type E2eReport, runE2e, startBenchStack, stopDevServers } from "./e2e.ts";
import { drainBody, logsBody } from "./payloads.ts";
import { median } from "./stats.ts";
import { type Row, renderTable } from "./table.ts";
import { BUNDLE_GZIP_KIB, DRAIN_PEAK, FIXED_OVERHEAD, PATH_TARGETS, STARTUP_MS } from "./targets.ts";

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
const skip = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
const only = new Set((process.env.BENCH_ONLY ?? "").split(",").filter(Boolean));
const E2E_SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 12);
const E2E_CONNECTIONS = Number(process.env.BENCH_E2E_CONNECTIONS ?? 16);
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
const DISTANCE_MS = Number(process.env.BENCH_DISTANCE_MS ?? 50);
const DISTANCE_WARM = Number(process.env.BENCH_DISTANCE_WARM ?? 200);
const DISTANCE_SAMPLES = Number(process.env.BENCH_DISTANCE_SAMPLES ?? 7);
const COST_REQUESTS = Number(process.env.BENCH_COST_REQUESTS ?? 100);
const COST_WARMUP = Number(process.env.BENCH_COST_WARMUP ?? 10);
const COST_CONCURRENCY = Number(process.env.BENCH_COST_CONCURRENCY ?? 4);

const dir = mkdtempSync(join(tmpdir(), "deeptracer-bench-"));
let stack: Stack | undefined;
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
	cleaning ??= (async () => {
		killChildren();
		killWranglerCommands();
		await stopDevServers();
		await stack?.close();
		rmSync(dir, { recursive: true, force: true });
	})();
	return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
	process.on(signal, () => {
		process.stderr.write(`\n${signal}: stopping everything the bench started…\n`);
		cleanup().finally(() => process.exit(130));
	});
}

const step = (what: string) =>
	process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${what}\n`);

interface CaseResult {
	name: string;
	label: string;
	bytes: number;
	appCpuNs?: number;
	floorCpuNs?: number;
	cpuRatio?: number;
	appWallNs: number;
	floorWallNs: number;
	wallRatio: number;
}
interface MemoryResult {
	bodyBytes: number;
	peakBytes: number;
	heapPeakBytes: number;
	externalEndBytes: number;
	status: number;
	upperBound: boolean;
}

const compat = compatibilityDate();
let nodeCases: CaseResult[] | undefined;
let workerdCases: CaseResult[] | undefined;
let realBundle: BundleReport | undefined;
let bareBundle: BundleReport | undefined;
let startup: { real: number; bare: number; realRuns: number[]; bareRuns: number[] } | undefined;
let e2e: E2eReport | undefined;
let memory: { app: MemoryResult; floor: MemoryResult } | undefined;
interface UploadMemory {
	partBytes: number;
	parts: number;
	peakRssBytes: number;
	/** With a full GC at each write: the peak of the JS heap and array buffers there, over the baseline. */
	livePeakBytes: number;
	heapPeakBytes: number;
	upperBound: boolean;
}
let sourceMaps:
	| {
			warm: { mapsNs: number; noneNs: number };
			first: { maps: number; none: number; mapBytes: number; indexBytes: number };
			/** The same in a fresh workerd isolate: ms in the isolate, median of its runs. */
			firstWorkerd: { maps: number; none: number; runs: { maps: number[]; none: number[] } };
			upload: UploadMemory;
			uploadGc: UploadMemory;
	  }
	| undefined;
let distance: DistanceReport | undefined;
let cost: { report: CostReport; cpu: CostCpu[] | undefined } | undefined;
const failures: string[] = [];

async function part(name: string, fn: () => Promise<void>): Promise<void> {
	if (skip.has(name) || (only.size > 0 && !only.has(name))) return;
	try {
		await fn();
	} catch (err) {
		// One part failing (a missing redis-server, say) still leaves the others' figures.
		failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
		step(`${name} failed: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
	}
}

try {
	await part("node", async () => {
		step("1. request path on Node (in-process, stores from memory)…");
		nodeCases = await runChild<CaseResult[]>(join(import.meta.dirname, "cpu.ts"));
	});
	await part("workerd", async () => {
		step("1. request path inside workerd…");
		const rows = await runChild<Omit<CaseResult, "label" | "bytes">[]>(
			join(import.meta.dirname, "workerd.ts"),
			[compat],
			[],
			240_000,
		);
		const meta = new Map(benchCases().map((c) => [c.name, c]));
		workerdCases = rows.map((r) => ({
			...r,
			label: meta.get(r.name)?.label ?? r.name,
			bytes: new TextEncoder().encode(meta.get(r.name)?.body ?? "").byteLength,
		}));
	});
	await part("bundle", async () => {
		step("2. bundle (wrangler deploy --dry-run) and startup (wrangler check startup)…");
		realBundle = await buildBundle(join(dir, "bundle-real"));
		mkdirSync(join(dir, "bundle-bare"), { recursive: true });
		bareBundle = await buildBundle(join(dir, "bundle-bare"), bareConfig(join(dir, "bundle-bare"), compat));
		const real = await startupMs(realBundle.workerBundle, join(dir, "bundle-real"), STARTUP_RUNS);
		const bare = await startupMs(bareBundle.workerBundle, join(dir, "bundle-bare"), STARTUP_RUNS);
		startup = { real: real.ms, bare: bare.ms, realRuns: real.runs, bareRuns: bare.runs };
	});
	await part("memory", async () => {
		step("4. peak memory of a 5 MB drain body…");
		const file = join(dir, "drain.json");
		writeFileSync(file, drainBody());
		const runs = { app: [] as MemoryResult[], floor: [] as MemoryResult[] };
		for (let i = 0; i < 3; i++) {
			for (const mode of ["app", "floor"] as const) {
				runs[mode].push(
					await runChild<MemoryResult>(join(import.meta.dirname, "memory.ts"), [mode, file], ["--expose-gc"]),
				);
			}
		}
		const pickMedian = (rs: MemoryResult[]) => {
			const m = median(rs.map((r) => r.peakBytes));
			return rs.reduce((a, b) => (Math.abs(b.peakBytes - m) < Math.abs(a.peakBytes - m) ? b : a));
		};
		memory = { app: pickMedian(runs.app), floor: pickMedian(runs.floor) };
	});
	await part("sourcemaps", async () => {
		step("5. source maps: resolved errors (warm, first in a fresh process) and upload memory…");
		const script = join(import.meta.dirname, "sourcemaps.ts");
		const warm = await runChild<{ mapsNs: number; noneNs: number }>(script, ["cpu"]);
		const firsts = { maps: [] as number[], none: [] as number[] };
		let sizes = { mapBytes: 0, indexBytes: 0 };
		for (let i = 0; i < 5; i++) {
			for (const variant of ["maps", "none"] as const) {
				const r = await runChild<{ ns: number; mapBytes: number; indexBytes: number }>(script, ["first", variant]);
				firsts[variant].push(r.ns);
				if (variant === "maps") sizes = { mapBytes: r.mapBytes, indexBytes: r.indexBytes };
			}
		}
		const firstWorkerd = await runChild<{ maps: number; none: number; runs: { maps: number[]; none: number[] } }>(
			join(import.meta.dirname, "sourcemaps-workerd.ts"),
			[],
			[],
			300_000,
		);
		const upload = await runChild<UploadMemory>(script, ["upload"], ["--expose-gc"]);
		const uploadGc = await runChild<UploadMemory>(script, ["upload", "gc"], ["--expose-gc"]);
		sourceMaps = {
			warm,
			first: { maps: median(firsts.maps), none: median(firsts.none), ...sizes },
			firstWorkerd,
			upload,
			uploadGc,
		};
	});
	await part("e2e", async () => {
		step("3. end to end: local stack, wrangler dev, autocannon…");
		const bodyFile = join(dir, "logs50.json");
		writeFileSync(bodyFile, logsBody(50));
		stack ??= await startBenchStack(join(dir, "stack"));
		e2e = await runE2e(stack, {
			dir,
			bodyFile,
			logsPerRequest: 50,
			seconds: E2E_SECONDS,
			connections: E2E_CONNECTIONS,
			compatibilityDate: compat,
		});
	});
	await part("distance", async () => {
		step(`5. store distance: every store behind a proxy holding each request 0 and ${DISTANCE_MS} ms…`);
		stack ??= await startBenchStack(join(dir, "stack"));
		distance = await runDistance(stack, {
			dir,
			delayMs: DISTANCE_MS,
			warmRequests: DISTANCE_WARM,
			samples: DISTANCE_SAMPLES,
			log: step,
		});
	});
	await part("cost", async () => {
		step("7. cost: CPU per kind in workerd, then every store call counted through wrangler dev…");
		const cpu = await runChild<CostCpu[]>(join(import.meta.dirname, "cost-cpu.ts"), [compat], [], 240_000).catch(
			(err) => {
				failures.push(`cost CPU: ${err instanceof Error ? err.message : String(err)}`);
				return undefined;
			},
		);
		stack ??= await startBenchStack(join(dir, "stack"));
		const report = await runCost(stack, {
			dir,
			requests: COST_REQUESTS,
			warmup: COST_WARMUP,
			concurrency: COST_CONCURRENCY,
			compatibilityDate: compat,
			log: step,
		});
		cost = { report, cpu };
	});
} finally {
	step("stopping the stack and workers…");
	await cleanup();
}

// ------------------------------------------------------------------------------------------- the table

const us = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`);
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "n/a");

const rows: Row[] = [];
const misses: string[] = [];
function judge(figure: string, value: number, limit: number | undefined, unit: (v: number) => string) {
	if (limit === undefined) return "info";
	const ok = value <= limit;
	if (!ok) misses.push(`${figure}: ${unit(value)} against ≤ ${unit(limit)} (${x(value / limit)} the target)`);
	return ok ? "PASS" : "MISS";
}

for (const [runtime, cases] of [
	["workerd", workerdCases],
	["node", nodeCases],
] as const) {
	if (!cases) continue;
	const metric = runtime === "workerd" ? "wall time in the isolate" : "main-thread CPU";
	rows.push({
		section: `1. Request path, ${runtime} (${metric} per request; floor = JSON.parse + JSON.stringify of the body)`,
	});
	const get = (n: string) => cases.find((c) => c.name === n);
	for (const c of cases) {
		if (c.name === "bare1") continue;
		const app = runtime === "node" ? (c.appCpuNs ?? c.appWallNs) : c.appWallNs;
		const floor = runtime === "node" ? (c.floorCpuNs ?? c.floorWallNs) : c.floorWallNs;
		const ratio = runtime === "node" ? (c.cpuRatio ?? c.wallRatio) : c.wallRatio;
		const target = PATH_TARGETS[runtime][c.name];
		const figure = `${c.label} (${kib(c.bytes)})`;
		rows.push({
			figure,
			value: us(app),
			baseline: `${us(floor)} floor`,
			ratio: x(ratio),
			target: target ? `≤ ${target.limit}×` : "—",
			previous: target?.previous,
			result: judge(`${runtime}: ${c.label} vs floor`, ratio, target?.limit, x),
		});
	}
	const one = get("log1");
	const bare = get("bare1");
	if (one && bare) {
		const a = runtime === "node" ? (one.appCpuNs ?? one.appWallNs) : one.appWallNs;
		const b = runtime === "node" ? (bare.appCpuNs ?? bare.appWallNs) : bare.appWallNs;
		rows.push({
			figure: "fixed overhead: 1 log vs bare Hono handler",
			value: us(a),
			baseline: `${us(b)} bare`,
			ratio: x(a / b),
			target: `≤ ${FIXED_OVERHEAD[runtime].limit}×`,
			previous: FIXED_OVERHEAD[runtime].previous,
			result: judge(`${runtime}: 1 log vs bare Hono handler`, a / b, FIXED_OVERHEAD[runtime].limit, x),
		});
	}
}

if (realBundle) {
	rows.push({
		section: "2. Bundle (wrangler deploy --dry-run, minified) and startup (wrangler check startup, workerd)",
	});
	rows.push({
		figure: "worker bundle, gzip -9",
		value: kib(realBundle.gzipBytes),
		baseline: bareBundle ? `${kib(bareBundle.gzipBytes)} bare` : "",
		ratio: bareBundle ? x(realBundle.gzipBytes / bareBundle.gzipBytes) : "",
		target: `≤ ${BUNDLE_GZIP_KIB.limit} KiB`,
		previous: BUNDLE_GZIP_KIB.previous,
		result: judge("bundle gzipped", realBundle.gzipBytes, BUNDLE_GZIP_KIB.limit * 1024, kib),
	});
	rows.push({
		figure: "worker bundle, minified",
		value: kib(realBundle.bytes),
		baseline: bareBundle ? `${kib(bareBundle.bytes)} bare` : "",
		ratio: bareBundle ? x(realBundle.bytes / bareBundle.bytes) : "",
		target: "—",
		result: "info",
	});
	if (startup) {
		rows.push({
			figure: "startup: script compile + evaluation",
			value: `${startup.real.toFixed(1)} ms`,
			baseline: `${startup.bare.toFixed(1)} ms bare`,
			ratio: x(startup.real / startup.bare),
			target: `≤ ${STARTUP_MS.limit} ms`,
			previous: STARTUP_MS.previous,
			result: judge("startup", startup.real, STARTUP_MS.limit, (v) => `${v.toFixed(1)} ms`),
		});
	}
}

if (e2e) {
	const { real, bare } = e2e;
	rows.push({
		section: `3. End to end: wrangler dev on the local stack, autocannon, ${e2e.logsPerRequest}-log batches, ${e2e.connections} connections, ${real.durationS.toFixed(0)} s each`,
	});
	rows.push({
		figure: "requests/s",
		value: real.rps.toFixed(0),
		baseline: `${bare.rps.toFixed(0)} bare`,
		ratio: x(real.rps / bare.rps),
		target: "—",
		result: "info",
	});
	rows.push({
		figure: "latency p50",
		value: `${real.p50Ms} ms`,
		baseline: `${bare.p50Ms} ms bare`,
		ratio: x(real.p50Ms / Math.max(bare.p50Ms, 1)),
		target: "—",
		result: "info",
	});
	rows.push({
		figure: "latency p99",
		value: `${real.p99Ms} ms`,
		baseline: `${bare.p99Ms} ms bare`,
		ratio: x(real.p99Ms / Math.max(bare.p99Ms, 1)),
		target: "—",
		result: "info",
	});
	rows.push({
		figure: "rows/s landed in ClickHouse",
		value: real.rowsPerS.toFixed(0),
		baseline: `${real.rowsLanded} rows, ≥ ${real.ok2xx * e2e.logsPerRequest} acked`,
		ratio: "",
		target: "all acked land",
		result: judge("rows landed", real.ok2xx * e2e.logsPerRequest - real.rowsLanded, 0, (v) => `${v} rows missing`),
	});
	const errs = real.non2xx + real.errors + real.timeouts;
	rows.push({
		figure: "errors (non-2xx, socket, timeouts)",
		value: String(errs),
		baseline: `${bare.non2xx + bare.errors + bare.timeouts} bare`,
		ratio: "",
		target: "0",
		result: judge("end-to-end errors", errs, 0, String),
	});
}

if (memory) {
	const body = memory.app.bodyBytes;
	rows.push({ section: "4. Peak memory, 5 MB drain body (RSS high-water over baseline, body already in memory)" });
	rows.push({
		figure: `peak added by the request (${mib(body)} body)`,
		value: `${mib(memory.app.peakBytes)} = ${x(memory.app.peakBytes / body)} body`,
		baseline: `${x(memory.floor.peakBytes / body)} floor`,
		ratio: x(memory.app.peakBytes / memory.floor.peakBytes),
		target: `≤ ${DRAIN_PEAK.limit}× body`,
		previous: DRAIN_PEAK.previous,
		result: judge("peak memory (multiple of the body)", memory.app.peakBytes / body, DRAIN_PEAK.limit, x),
	});
	rows.push({
		figure: "  of which V8 heap peak / external at end",
		value: `${mib(memory.app.heapPeakBytes)} / ${mib(memory.app.externalEndBytes)}`,
		baseline: `${mib(memory.floor.heapPeakBytes)} floor heap`,
		ratio: "",
		target: "—",
		result: "info",
	});
}

if (sourceMaps) {
	const { warm, first, firstWorkerd, upload, uploadGc } = sourceMaps;
	rows.push({
		section:
			"5. Source maps (Node main-thread CPU unless said; store in memory, as R2 would hand back the index; workerd: wall time in the isolate, 1 ms resolution, median of 5 fresh isolates)",
	});
	rows.push({
		figure: "error, 40 minified frames, maps decoded in the isolate",
		value: us(warm.mapsNs),
		baseline: `${us(warm.noneNs)} without maps`,
		ratio: x(warm.mapsNs / warm.noneNs),
		target: "≤ 2×",
		result: judge("resolved error vs without maps", warm.mapsNs / warm.noneNs, 2, x),
	});
	rows.push({
		figure: `first error, fresh workerd isolate, ${mib(first.mapBytes)} map (${mib(first.indexBytes)} index), ms in the isolate`,
		value: `${firstWorkerd.maps.toFixed(0)} ms`,
		baseline: `${firstWorkerd.none.toFixed(0)} ms without maps`,
		ratio: x(firstWorkerd.maps / firstWorkerd.none),
		target: "≤ 10 ms (Free)",
		result: judge(
			"first resolved error in workerd (Workers Free: 10 ms)",
			firstWorkerd.maps,
			10,
			(v) => `${v.toFixed(0)} ms`,
		),
	});
	rows.push({
		figure: "  same, fresh Node process, main-thread CPU",
		value: us(first.maps),
		baseline: `${us(first.none)} without maps`,
		ratio: x(first.maps / first.none),
		target: "—",
		result: "info",
	});
	rows.push({
		figure: `upload ${uploadGc.parts} × ${mib(uploadGc.partBytes)}: live peak (heap + buffers), full GC at each write`,
		value: `${mib(uploadGc.livePeakBytes)} = ${x(uploadGc.livePeakBytes / uploadGc.partBytes)} part`,
		baseline: "before: 2.40× (its peak, in buildIndex)",
		ratio: "",
		target: "≤ 2× part",
		result: judge("upload peak memory (multiple of a part)", uploadGc.livePeakBytes / uploadGc.partBytes, 2, x),
	});
	rows.push({
		figure: "  same, peak RSS",
		value: `${mib(uploadGc.peakRssBytes)} = ${x(uploadGc.peakRssBytes / uploadGc.partBytes)} part`,
		baseline: `heap ${mib(uploadGc.heapPeakBytes)}; before 3.2-5.4×`,
		ratio: "",
		target: "—",
		result: "info",
	});
	rows.push({
		figure: "  same, collector left to itself (garbage not yet collected)",
		value: `${mib(upload.peakRssBytes)} = ${x(upload.peakRssBytes / upload.partBytes)} part`,
		baseline: `heap ${mib(upload.heapPeakBytes)}`,
		ratio: "",
		target: "—",
		result: "info",
	});
}
if (distance) {
	const D = distance.delayMs;
	const { warm } = distance.cases;
	const n = warm.far.ms.length;
	rows.push({
		section: `6. Store distance: wrangler dev, each store behind a proxy holding every request D ms; value at D = ${D}, baseline at D = 0; RT = awaited round trips = (ms at D − ms at 0) / D (targets allow 3 ms of noise)`,
	});
	const ms = (v: number) => `${v.toFixed(1)} ms`;
	const rtRow = (figure: string, near: number, far: number, target: number | undefined) => {
		const extra = far - near - (target ?? 0) * D;
		rows.push({
			figure,
			value: ms(far),
			baseline: `${ms(near)} at 0`,
			ratio: `${roundTrips(near, far, D).toFixed(2)} RT`,
			target: target === undefined ? "—" : `≤ ${target} RT`,
			result: target === undefined ? "info" : judge(`store distance: ${figure}, ms beyond ${target} RT`, extra, 3, ms),
		});
	};
	rtRow(`warm p50 (${n} sequential requests)`, percentile(warm.near.ms, 50), percentile(warm.far.ms, 50), 0);
	rtRow("warm p99", percentile(warm.near.ms, 99), percentile(warm.far.ms, 99), 0);
	// The target is about the decision path (key lookup, limiter): Upstash and Neon. ClickHouse's event write is
	// started in waitUntil as the response goes out, so it usually arrives first too; shown, not judged.
	const before = (s: DistanceReport["cases"]["warm"]["far"]) =>
		`${s.before.upstash + s.before.neon} (U ${s.before.upstash}, N ${s.before.neon}; C ${s.before.clickhouse})`;
	rows.push({
		figure: "warm: Upstash + Neon requests arrived before the answer",
		value: before(warm.far),
		baseline: `${before(warm.near)} at 0`,
		ratio: `${warm.far.requestsWithDecisionTraffic}/${n} req`,
		target: "0",
		result: judge(
			"store distance: Upstash + Neon requests arrived before a warm answer",
			warm.far.before.upstash + warm.far.before.neon,
			0,
			String,
		),
	});
	const perReq = (s: DistanceReport["cases"]["warm"]["far"]) => s.upstashCommands / s.ms.length;
	rows.push({
		figure: "warm: Upstash commands per request",
		value: perReq(warm.far).toFixed(2),
		baseline: `${perReq(warm.near).toFixed(2)} at 0`,
		ratio: "",
		target: "≤ 0.2",
		result: judge("store distance: Upstash commands per warm request", perReq(warm.far), 0.2, (v) => v.toFixed(2)),
	});
	const k = distance.cases.redis.far.ms.length;
	const med = (c: keyof DistanceReport["cases"]) =>
		[median(distance?.cases[c].near.ms ?? []), median(distance?.cases[c].far.ms ?? [])] as const;
	rtRow(`first request, key in Redis, new to the isolate (median of ${k})`, ...med("redis"), 1);
	rtRow("first request, key only in Postgres", ...med("postgres"), 2);
	rtRow("key over its limit (429)", ...med("overLimit"), 0);
	rtRow("GET /health", ...med("health"), undefined);
}

process.stdout.write(`\n${renderTable(rows)}\n`);
const costTables = cost ? renderCost(cost.report, cost.cpu) : undefined;
if (costTables) process.stdout.write(`\n${costTables.text}\n`);

const notes: string[] = [];
if (realBundle) {
	notes.push(
		`Bundle: wrangler printed "${realBundle.wranglerLine}". Largest contributors (minified bytes in the bundle):`,
	);
	for (const p of realBundle.packages.slice(0, 8)) {
		notes.push(
			`  ${kib(p.bytes).padStart(10)}  ${((100 * p.bytes) / realBundle.bytes).toFixed(0).padStart(3)}%  ${p.name}`,
		);
	}
	notes.push("  largest files:");
	for (const f of realBundle.files.slice(0, 8)) notes.push(`  ${kib(f.bytes).padStart(10)}        ${f.name}`);
}
if (startup) {
	notes.push(
		`Startup: active CPU (non-idle samples) while workerd imports the main module, median of ${startup.realRuns.length} profiles (real ${startup.realRuns.map((v) => v.toFixed(0)).join("/")} ms, bare ${startup.bareRuns.map((v) => v.toFixed(0)).join("/")} ms).`,
	);
}
if (nodeCases || workerdCases) {
	notes.push(
		"Request path: stores answered from memory (key in the isolate cache, limiter allows, writes resolve), background work included; console output dropped after serialisation. Node: median CPU of the main (isolate) thread, as Workers bill it (crypto.subtle runs on Node's thread pool, so digests are not counted there); workerd: median wall time in the isolate (local workerd advances performance.now(), 1 ms resolution, batches of ≥ 100 ms). Where CPU goes: `node --experimental-strip-types bench/profile.ts <case>`.",
	);
}
if (distance) {
	notes.push(
		`Store distance: what arrived at the proxies between a request's send and its answer, at D = ${distance.delayMs} (U = Upstash, N = Neon, C = ClickHouse; a request sent from waitUntil before the response arrives also counts):`,
	);
	for (const [name, c] of Object.entries(distance.cases)) {
		notes.push(`  ${name.padEnd(9)} ${c.far.what.slice(0, 6).join(", ") || "nothing"}`);
	}
}
if (costTables) notes.push(...costTables.notes);
if (misses.length > 0) {
	notes.push("Missed targets:");
	for (const m of misses) notes.push(`  - ${m}`);
} else if (rows.length > 0) {
	notes.push("Every target measured in this run is met.");
}
for (const f of failures) notes.push(`Not measured: ${f.split("\n")[0]}`);
notes.push(
	`Total time: ${((performance.now() - started) / 1000).toFixed(0)} s on ${cpus().length} CPUs; 1-min load average ${loadBefore.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end (other work on the machine inflates absolute figures; ratios are measured side by side).`,
);
process.stdout.write(`${notes.join("\n")}\n`);
