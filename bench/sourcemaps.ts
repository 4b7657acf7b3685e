/**
 * Part 5: source maps, run as children of bench/run.ts, each printing one JSON result line.
 *   node bench/sourcemaps.ts cpu            40-frame minified stack, maps decoded in the isolate vs no maps
 *                                           (the stack new each time, so the whole-stack memo does not answer):
 *                                           median main-thread CPU per request, interleaved rounds
 *   node bench/sourcemaps.ts first maps|none  the first error of a fresh process against a 3.5 MB map (or none):
 *                                           main-thread CPU of that one request, JIT cold
 *   node --expose-gc bench/sourcemaps.ts upload [gc]  20 maps of 2.5 MB in one multipart request, streamed:
 *                                           RSS high-water and V8 heap peak over the baseline (gc: a full
 *                                           collection at each write, and the live set's peak there)
 * The store is in memory (what R2 would hand back: the index bytes); the app is the real createApp.
 */
import { GCProfiler } from "node:v8";
import type { SourceMapStore } from "../src/ports.ts";
import { syntheticMap } from "../test/fixtures/synthetic-map.ts";
import { emitResult } from "./child.ts";
import { API_KEY, benchContext, benchServices, ENV, silenceConsole } from "./harness.ts";
import { CHUNK, errorRequest, memoryStore, stackFor } from "./sourcemap-shapes.ts";
import { createApp } from "./src-app.js";
import { median } from "./stats.ts";

// ------------------------------------------------------------------------------------------ requests

const encoder = new TextEncoder();

/** A multipart body of `count` copies of the map, streamed part by part (never whole in memory). */
function uploadRequest(map: Uint8Array, count: number): Request {
	const boundary = "----bench";
	const heads = Array.from({ length: count }, (_, i) =>
		encoder.encode(
			`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="static/chunks/${i}-4f9e8d7c.js.map"\r\nContent-Type: application/json\r\n\r\n`,
		),
	);
	const pieces: Uint8Array[] = [
		encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="release"\r\n\r\nbench\r\n`),
	];
	for (const head of heads) pieces.push(head, map, encoder.encode("\r\n"));
	pieces.push(encoder.encode(`--${boundary}--\r\n`));
	const length = pieces.reduce((n, p) => n + p.byteLength, 0);
	let piece = 0;
	let offset = 0;
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			const p = pieces[piece];
			if (!p) return controller.close();
			// A copy, as the network hands the isolate new buffers (a view of one shared map would cost nothing).
			controller.enqueue(p.slice(offset, offset + 65_536));
			offset += 65_536;
			if (offset >= p.byteLength) {
				piece++;
				offset = 0;
			}
		},
	});
	return new Request("https://ingest.bench/ingest/sourcemaps", {
		method: "POST",
		headers: {
			authorization: `Bearer ${API_KEY}`,
			"content-type": `multipart/form-data; boundary=${boundary}`,
			"content-length": String(length),
		},
		body,
		duplex: "half",
	} as RequestInit);
}

type App = ReturnType<typeof createApp>;

async function send(app: App, request: Request): Promise<Response> {
	const { pending, ctx } = benchContext();
	const res = await app.fetch(request, ENV, ctx);
	await Promise.all(pending);
	return res;
}

function appWith(store: SourceMapStore): App {
	return createApp({ createServices: () => ({ ...benchServices(), sourceMaps: store }) });
}

async function uploadInto(store: SourceMapStore, map: { json: string }): Promise<void> {
	// The chunk's own map, under its name, in one request through the real upload route.
	const bytes = encoder.encode(map.json);
	const boundary = "----one";
	const body = new Blob([
		`--${boundary}\r\nContent-Disposition: form-data; name="release"\r\n\r\nbench\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${CHUNK}.map"\r\n\r\n`,
		bytes,
		`\r\n--${boundary}--\r\n`,
	]);
	const res = await send(
		appWith(store),
		new Request("https://ingest.bench/ingest/sourcemaps", {
			method: "POST",
			headers: { authorization: `Bearer ${API_KEY}`, "content-type": `multipart/form-data; boundary=${boundary}` },
			body,
		}),
	);
	if (res.status !== 200) throw new Error(`upload: ${res.status} ${await res.text()}`);
}

function cpuNs(): number {
	const u = process.threadCpuUsage();
	return (u.user + u.system) * 1e3;
}

// ------------------------------------------------------------------------------------------ modes

const [mode, variant] = process.argv.slice(2);
silenceConsole();

if (mode === "cpu") {
	const map = syntheticMap(3.5 * 1024 * 1024, 1024 * 1024);
	const stack = stackFor(map.maxColumn);
	const withMaps = memoryStore();
	await uploadInto(withMaps, map);
	const apps = { maps: appWith(withMaps), none: appWith(memoryStore()) };
	// The isolate's caches are shared by both apps (one project): the stack without maps names another chunk.
	// Every request a stack the isolate has not seen whole (its maps and lookups cached, not its resolution).
	const other = "static/chunks/app/page-0a1b2c3d4e5f.js";
	const variants = Array.from({ length: 997 }, (_, v) => ({
		maps: stackFor(map.maxColumn, CHUNK, v),
		none: stackFor(map.maxColumn, other, v),
	}));
	const stacks = { maps: stack, none: stackFor(map.maxColumn, other) };
	let n = 0;
	const BATCH = Number(process.env.BENCH_SM_BATCH ?? 300);
	const samples: Record<keyof typeof apps, number[]> = { maps: [], none: [] };
	for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 9) + 1; round++) {
		for (const name of ["maps", "none"] as const) {
			const t0 = cpuNs();
			for (let i = 0; i < BATCH; i++) {
				const res = await send(apps[name], errorRequest((variants[n++ % variants.length] as typeof stacks)[name]));
				if (res.status !== 200) throw new Error(`error request: ${res.status}`);
			}
			if (round > 0) samples[name].push((cpuNs() - t0) / BATCH); // round 0 warms up
		}
	}
	const fingerprint = async (app: App, stack: string) =>
		((await (await send(app, errorRequest(stack))).json()) as { fingerprint: string }).fingerprint;
	// Unresolved, both stacks fingerprint the same (hash-stripped chunk names, minified names): resolution changes it.
	const resolved = (await fingerprint(apps.maps, stacks.maps)) !== (await fingerprint(apps.none, stacks.none));
	if (!resolved) throw new Error("the maps did not change the fingerprint: nothing was resolved");
	emitResult({ mapsNs: median(samples.maps), noneNs: median(samples.none) });
} else if (mode === "first") {
	const map = syntheticMap(3.5 * 1024 * 1024, 1024 * 1024);
	const stack = stackFor(map.maxColumn);
	const store = memoryStore();
	if (variant === "maps") await uploadInto(store, map); // in another "isolate": only the stored index is shared
	const app = appWith(store);
	// The isolate has served a request before (module loaded, a log stored): the first *error* is measured.
	await send(app, errorRequest("Error: warm-up without frames"));
	const t0 = cpuNs();
	const res = await send(app, errorRequest(stack));
	const ns = cpuNs() - t0;
	if (res.status !== 200) throw new Error(`error request: ${res.status}`);
	emitResult({ ns, indexBytes: [...store.files.values()][0]?.byteLength ?? 0, mapBytes: map.json.length });
} else if (mode === "upload") {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error("run with --expose-gc");
	// 2.5 MB decimal: 20 of them and the multipart framing fit under the 50 MiB request limit.
	const map = encoder.encode(syntheticMap(2_500_000, 700 * 1024).json);
	const store = memoryStore();
	const app = appWith(store);
	await uploadInto(memoryStore(), { json: syntheticMap(256 * 1024, 64 * 1024).json }); // warm the code paths
	const request = uploadRequest(map, 20);
	store.files.clear();
	gc();
	gc();
	const baseline = process.memoryUsage();
	const highBefore = process.resourceUsage().maxRSS * 1024;
	const profiler = new GCProfiler();
	profiler.start();
	// The stored indexes are what R2 would hold, not the request's memory: dropped as they arrive.
	const publish = store.publishIndex.bind(store);
	const putMap = store.putMap.bind(store);
	// With "gc": a full collection as each part's map and index are stored, and again at the next turn once the
	// upload has let go of them, so the high-water is what one part needs live, not garbage the collector had not
	// yet reached (workerd collects under its 128 MB limit).
	// The live set at those points (the JS heap and the typed arrays' bytes outside it, after a full collection) is
	// the figure judged: RSS also counts what V8 and the allocator keep reserved, which varies run to run.
	let livePeak = 0;
	const live = () => {
		const m = process.memoryUsage();
		return m.heapUsed + m.arrayBuffers;
	};
	const liveBaseline = live();
	const collect =
		variant === "gc"
			? () => {
					// Twice: array buffers are swept concurrently after a collection; the second waits for it.
					gc();
					gc();
					livePeak = Math.max(livePeak, live() - liveBaseline);
				}
			: () => undefined;
	store.putMap = async (m) => {
		collect();
		await putMap(m);
		setTimeout(collect, 0);
	};
	store.publishIndex = async (m) => {
		collect();
		await publish({ ...m, index: new Uint8Array(0) });
		setTimeout(collect, 0);
	};
	const res = await send(app, request);
	const body = await res.text();
	if (res.status !== 200) throw new Error(`upload: ${res.status} ${body}`);
	const end = process.memoryUsage();
	const gcs = profiler.stop()?.statistics ?? [];
	const highAfter = process.resourceUsage().maxRSS * 1024;
	const heapPeak = Math.max(end.heapUsed, ...gcs.map((g) => g.beforeGC.heapStatistics.usedHeapSize));
	emitResult({
		partBytes: map.byteLength,
		parts: 20,
		response: JSON.parse(body),
		peakRssBytes: highAfter - baseline.rss,
		livePeakBytes: livePeak,
		upperBound: highAfter <= highBefore,
		heapPeakBytes: heapPeak - baseline.heapUsed,
	});
} else {
	throw new Error("usage: sourcemaps.ts cpu | first maps|none | upload");
}
