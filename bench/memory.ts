/**
 * Part 4: peak memory of one 5 MB drain request through the app, in a fresh process (run with --expose-gc).
 * The body bytes are in memory before the baseline (a Request already holding them); after two full GCs the
 * baseline RSS is taken, the request runs (background work included), and the process's RSS high-water
 * mark (getrusage maxrss) is read. Peak = high-water − baseline: what the request path adds on top of the body.
 * Also the V8 heap's peak (v8.GCProfiler: heap in use before each collection, and at the end) over its baseline.
 * The floor (JSON.parse + JSON.stringify of the same text) is measured the same way in its own process.
 *   node --expose-gc bench/memory.ts app|floor <body file>
 */
import { readFileSync } from "node:fs";
import { GCProfiler } from "node:v8";
import { emitResult } from "./child.ts";
import {
	benchContext,
	benchRequest,
	benchRequestInit,
	benchServices,
	createRunner,
	ENV,
	silenceConsole,
} from "./harness.ts";
import { drainBody } from "./payloads.ts";
import { createApp } from "./src-app.js";

const [mode, file] = process.argv.slice(2);
if ((mode !== "app" && mode !== "floor") || !file) throw new Error("usage: memory.ts app|floor <body file>");
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

silenceConsole();
const app = createApp({ createServices: benchServices });
const route = { path: "/ingest/drain" };

// Warm up on small bodies so that compiling the code paths is not counted.
const small = drainBody(64 * 1024);
for (let i = 0; i < 20; i++) {
	const { pending, ctx } = benchContext();
	await app.fetch(benchRequest({ ...route, body: small }), ENV, ctx);
	await Promise.all(pending);
	JSON.stringify(JSON.parse(small));
}
createRunner();

const bytes = readFileSync(file);
const text = mode === "floor" ? bytes.toString("utf8") : "";
/**
 * The body as the network hands it over: a stream of 64 KiB chunks (views of the bytes already in memory), with
 * its Content-Length. (A Request made from one Uint8Array would have Node's fetch copy it twice on reading:
 * an artifact of the in-process request, not something a worker pays.)
 */
function networkRequest(body: Uint8Array): Request {
	let offset = 0;
	const stream = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (offset >= body.byteLength) return controller.close();
			controller.enqueue(body.subarray(offset, offset + 65_536));
			offset += 65_536;
		},
	});
	const init = { ...benchRequestInit(body.byteLength), body: stream, duplex: "half" };
	return new Request(`https://ingest.bench${route.path}`, init as RequestInit);
}
const request = mode === "app" ? networkRequest(bytes) : undefined;
gc();
gc();
const baseline = process.memoryUsage();
const highBefore = process.resourceUsage().maxRSS * 1024;
const profiler = new GCProfiler();
profiler.start();
let status = 200;
let kept = 0;
if (request) {
	const { pending, ctx } = benchContext();
	const res = await app.fetch(request, ENV, ctx);
	status = res.status;
	await Promise.all(pending);
} else {
	kept = JSON.stringify(JSON.parse(text)).length;
}
const end = process.memoryUsage();
const gcs = profiler.stop()?.statistics ?? [];
const highAfter = process.resourceUsage().maxRSS * 1024;
// V8 heap in use (live + not yet collected) peaks just before a collection, or at the end.
const heapPeak = Math.max(end.heapUsed, ...gcs.map((g) => g.beforeGC.heapStatistics.usedHeapSize));
emitResult({
	mode,
	status,
	bodyBytes: bytes.byteLength,
	baselineRss: baseline.rss,
	highBefore,
	highAfter,
	peakBytes: highAfter - baseline.rss,
	heapPeakBytes: heapPeak - baseline.heapUsed,
	// external includes the array buffers
	externalEndBytes: end.external - baseline.external,
	gcs: gcs.length,
	/** The request never rose above an earlier high-water mark: the figure is an upper bound. */
	upperBound: highAfter <= highBefore,
	kept,
});
