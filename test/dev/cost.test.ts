import { describe, expect, it } from "vitest";
import { API_KEY, benchContext, benchServices, ENV, silenceConsole } from "../../bench/harness.ts";
import { drainBody } from "../../bench/payloads.ts";
import { createApp } from "../../bench/src-app.js";
import { LIMITS } from "../../src/ingest/limits.ts";
import type { SourceMapStore } from "../../src/ports.ts";
import { INDEX_FACTOR } from "../../src/sourcemaps/index-format.ts";
import { logsProtobuf, tracesProtobuf, type Value, type WireSpan } from "../fixtures/otlp-wire.ts";
import { vlq } from "../fixtures/synthetic-map.ts";

// The cost of a request grows at most linearly in its size (issue 13): per route, a worst-case shape at two
// sizes 8x apart; the CPU per byte at the larger must stay under LINEAR_BOUND x the smaller's. Linear work gives
// about 1, n log n about 1.3, quadratic work (the OTLP resource x items copy this replaced) about 8.
// Robust on a loaded machine: thread CPU time (not wall), batches of >= 150 ms (CPU time advances in scheduler
// ticks), the least of several rounds (noise only ever adds time), sizes measured in alternation.

const LINEAR_BOUND = 3;
const SCALE = 8;
const ROUNDS = 4;
const BATCH_NS = 150e6;

/** Source maps in memory, counting the bytes an upload stores (the map as sent, and its index). */
const stored = { bytes: 0 };
const sourceMaps: SourceMapStore = {
	markProject: async () => undefined,
	hasMaps: async () => false,
	putMap: async (m) => {
		stored.bytes += m.bytes;
	},
	publishIndex: async (m) => {
		stored.bytes += m.index.byteLength;
	},
	deleteRelease: async () => 0,
	releaseFiles: async () => [],
	latestRelease: async () => null,
	index: async () => null,
};
const app = createApp({ createServices: () => ({ ...benchServices(), sourceMaps }) });
const utf8 = new TextEncoder();
const BOUNDARY = "----cost";

function threadCpuNs(): number {
	const u = process.threadCpuUsage();
	return (u.user + u.system) * 1e3;
}

interface Case {
	route: string;
	/** What the case is, when the route has several. */
	shape?: string;
	contentType: string;
	/** The answer it gets (200 unless said). */
	status?: number;
	/** A body of scale `n`; `variant` makes each request new where the app memoises (error fingerprints). */
	body(n: number, variant: number): string | Uint8Array<ArrayBuffer>;
	/** The smaller scale (the larger is SCALE times it). */
	n: number;
}

const t0 = BigInt(Date.UTC(2026, 11, 1)) * 1_000_000n;
const wideResource = (n: number) => {
	const r: Record<string, Value> = { "service.name": "cost" };
	for (let i = 0; i < 3 * n; i++) r[`resource.attribute.${i}`] = `value-${i}`;
	return r;
};
const spans = (n: number): WireSpan[] =>
	Array.from({ length: n }, (_, i) => ({
		traceId: "0af7651916cd43dd8448eb211c80319c",
		spanId: (i + 1).toString(16).padStart(16, "0"),
		name: "GET /api",
		start: t0,
		end: t0 + 1_000_000n,
		attributes: { "http.route": "/api", i },
	}));
const kv = (attrs: Record<string, Value>) =>
	Object.entries(attrs).map(([key, value]) => ({
		key,
		value: typeof value === "string" ? { stringValue: value } : { intValue: String(value) },
	}));
const wideMetadata = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key_${i}`, `v${i}`]));

const CASES: Case[] = [
	{
		route: "/ingest/logs",
		contentType: "application/json",
		n: 100,
		body: (n) =>
			JSON.stringify({
				logs: Array.from({ length: n }, (_, i) => ({
					level: "info",
					message: `message ${i}`,
					timestamp: "2026-12-01T10:00:00.000Z",
					metadata: wideMetadata(10),
				})),
			}),
	},
	{
		route: "/ingest/errors",
		contentType: "application/json",
		n: 400,
		body: (n, variant) =>
			JSON.stringify({
				error_message: `TypeError: boom ${variant}`,
				stack_trace: `TypeError: boom\n${Array.from({ length: n }, (_, i) => `    at fn${variant}_${i} (/app/src/file${i}.ts:${i}:2)`).join("\n")}`,
			}),
	},
	{
		route: "/ingest/traces",
		contentType: "application/json",
		n: 250,
		body: (n) =>
			JSON.stringify({
				trace_id: "t",
				span_id: "s",
				operation: "op",
				start_time: "2026-12-01T10:00:00.000Z",
				duration_ms: 1,
				metadata: wideMetadata(n),
			}),
	},
	{
		route: "/ingest/llm",
		contentType: "application/json",
		n: 250,
		body: (n) =>
			JSON.stringify({
				model: "m",
				provider: "p",
				operation: "o",
				input_tokens: 1,
				output_tokens: 1,
				latency_ms: 1,
				metadata: wideMetadata(n),
			}),
	},
	{ route: "/ingest/drain", contentType: "application/json", n: 64 * 1024, body: (n) => drainBody(n) },
	// Past our bounds (issue 19): the work of clipping and reducing, per byte, must not grow with the size.
	{
		shape: "metadata past 64 KiB, reduced",
		route: "/ingest/logs",
		contentType: "application/json",
		n: 1500,
		body: (n) =>
			JSON.stringify({
				logs: [
					{
						level: "info",
						message: "m".repeat(300 * 1024),
						metadata: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v".repeat(40 + (i % 50))])),
					},
				],
			}),
	},
	{
		shape: "breadcrumbs past 100, each past 8 KiB, deep context",
		route: "/ingest/errors",
		contentType: "application/json",
		n: 60,
		body: (n, variant) => {
			let deep: unknown = { leaf: "x" };
			for (let i = 0; i < n; i++) deep = { [`level${i}`]: deep, sibling: "s".repeat(200) };
			return JSON.stringify({
				error_message: `TypeError: boom ${variant}`,
				stack_trace: "TypeError: boom\n    at f (/app/a.ts:1:2)",
				context: deep,
				breadcrumbs: Array.from({ length: n }, (_, i) => ({
					type: "log",
					message: `[info] ${i} ${"b".repeat(8300)}`,
					timestamp: "2026-12-01T10:00:00.000Z",
				})),
			});
		},
	},
	{
		shape: "entries past every bound",
		route: "/ingest/drain",
		contentType: "application/json",
		n: 1,
		body: (n) =>
			JSON.stringify(
				Array.from({ length: n }, (_, i) => ({
					id: `e${i}`,
					timestamp: 1e15,
					message: "m".repeat(LIMITS.logMessage + 2048),
					projectName: "p".repeat(1000),
					payload: "x".repeat(LIMITS.objectBytes + 1000),
				})),
			),
	},
	{
		route: "/v1/traces",
		contentType: "application/x-protobuf",
		n: 250,
		body: (n) => tracesProtobuf([{ resource: wideResource(n), scopes: [{ name: "s", items: spans(n) }] }]),
	},
	{
		route: "/v1/traces",
		contentType: "application/json",
		n: 150,
		body: (n) =>
			JSON.stringify({
				resourceSpans: [
					{
						resource: { attributes: kv(wideResource(n)) },
						scopeSpans: [
							{
								scope: { name: "s" },
								spans: spans(n).map((s) => ({
									traceId: s.traceId,
									spanId: s.spanId,
									name: s.name,
									startTimeUnixNano: String(s.start),
									endTimeUnixNano: String(s.end),
									attributes: kv(s.attributes ?? {}),
								})),
							},
						],
					},
				],
			}),
	},
	{
		route: "/v1/logs",
		contentType: "application/x-protobuf",
		n: 250,
		body: (n) =>
			logsProtobuf([
				{
					resource: wideResource(n),
					scopes: [
						{
							name: "s",
							items: Array.from({ length: n }, (_, i) => ({ time: t0, body: `log ${i}`, attributes: { i } })),
						},
					],
				},
			]),
	},
	// Uploads (issue 20): each shape that once cost more than linear, or stored more than the map.
	upload("mappings: many segments", 20_000, (n) => mapJson({ mappings: segments(n) })),
	upload("names: many short strings", 20_000, (n) =>
		mapJson({ names: Array.from({ length: n }, (_, i) => `n${i}`), mappings: "AAAAA" }),
	),
	upload("sourcesContent: escapes everywhere", 20_000, (n) =>
		mapJson({ sourcesContent: [Array.from({ length: n }, (_, i) => `"${i}"\n`).join("")] }),
	),
	upload("sections: many small maps", 2_000, (n) =>
		JSON.stringify({
			version: 3,
			sections: Array.from({ length: n }, (_, i) => ({
				offset: { line: i, column: 0 },
				map: { version: 3, sources: [`s${i}.ts`], names: [], mappings: "AAAA,CAAC" },
			})),
		}),
	),
	upload("one line, unsorted", 20_000, (n) =>
		mapJson({ mappings: Array.from({ length: n }, (_, i) => (i === 0 ? `${vlq(n)}AAA` : "DAAA")).join(",") }),
	),
	{
		route: "/ingest/sourcemaps",
		shape: "many small files",
		contentType: `multipart/form-data; boundary=${BOUNDARY}`,
		n: 100,
		body: (n) => multipartBody(Array.from({ length: n }, (_, i) => [`f/${i}.js.map`, mapJson({})])),
	},
	{
		route: "/ingest/sourcemaps",
		shape: "a 70-byte boundary over its own byte",
		contentType: `multipart/form-data; boundary=${"a".repeat(70)}`,
		status: 400, // the one file is not a map
		n: 64 * 1024,
		body: (n) => multipartBody([["a.js.map", "a".repeat(n)]], "a".repeat(70)),
	},
	{
		route: "/ingest/sourcemaps",
		shape: "a body of CRs",
		contentType: `multipart/form-data; boundary=${BOUNDARY}`,
		status: 400,
		n: 64 * 1024,
		body: (n) => multipartBody([["a.js.map", "\r".repeat(n)]]),
	},
];

function upload(shape: string, n: number, map: (n: number) => string): Case {
	return {
		route: "/ingest/sourcemaps",
		shape,
		contentType: `multipart/form-data; boundary=${BOUNDARY}`,
		n,
		body: (size) => multipartBody([["static/chunks/app.js.map", map(size)]]),
	};
}

function mapJson(members: object): string {
	return JSON.stringify({ version: 3, sources: ["src/a.ts"], names: ["x"], mappings: "AAAA", ...members });
}

/** n segments on a few lines, every field moving. */
function segments(n: number): string {
	const out: string[] = [];
	for (let i = 0; i < n; i++) out.push(`${i % 500 === 0 && i > 0 ? ";" : ""}${vlq(3)}A${vlq(i % 3)}${vlq(1)}A`);
	return out.join(",").replaceAll(",;", ";");
}

function multipartBody(files: [string, string][], boundary = BOUNDARY): Uint8Array<ArrayBuffer> {
	const parts = [`--${boundary}\r\nContent-Disposition: form-data; name="release"\r\n\r\ncost`];
	for (const [name, content] of files)
		parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\n\r\n${content}`);
	return utf8.encode(`${parts.join("\r\n")}\r\n--${boundary}--\r\n`);
}

async function post(c: Case, body: string | Uint8Array<ArrayBuffer>): Promise<void> {
	const bytes = typeof body === "string" ? utf8.encode(body) : body;
	const { ctx, pending } = benchContext();
	const res = await app.fetch(
		new Request(`https://ingest.cost${c.route}`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${API_KEY}`,
				"content-type": c.contentType,
				"content-length": String(bytes.byteLength),
			},
			body: bytes,
		}),
		ENV,
		ctx,
	);
	await Promise.all(pending);
	if (res.status !== (c.status ?? 200)) throw new Error(`${c.route}: ${res.status} ${await res.text()}`);
}

let variant = 0;

/** CPU ns per body byte at scale n over one batch; the batch doubles until it is long enough to time. */
async function perByte(c: Case, n: number, size: { batch: number }): Promise<number> {
	for (;;) {
		const bodies = Array.from({ length: size.batch }, () => c.body(n, variant++));
		const bytes = bodies.reduce(
			(sum, b) => sum + (typeof b === "string" ? utf8.encode(b).byteLength : b.byteLength),
			0,
		);
		const started = threadCpuNs();
		for (const b of bodies) await post(c, b);
		const spent = threadCpuNs() - started;
		if (spent >= BATCH_NS / 2 || size.batch >= 4096) return spent / bytes;
		size.batch *= 2;
	}
}

/** Bytes an upload of scale n stores per byte sent (the map and its index). */
async function storedPerByte(c: Case, n: number): Promise<number> {
	const body = c.body(n, variant++);
	const before = stored.bytes;
	await post(c, body);
	return (stored.bytes - before) / (typeof body === "string" ? utf8.encode(body).byteLength : body.byteLength);
}

describe("a request's CPU grows at most linearly in its size", () => {
	silenceConsole();
	for (const c of CASES) {
		const what = c.shape ?? `${c.contentType}, worst-case shape`;
		it(`${c.route} (${what})`, async () => {
			// Warm-up (JIT) before anything is timed; batches start at one request and grow to BATCH_NS.
			for (let i = 0; i < 5; i++) await post(c, c.body(c.n * SCALE, variant++));
			const small = { batch: 1 };
			const large = { batch: 1 };
			let smallBest = Number.POSITIVE_INFINITY;
			let largeBest = Number.POSITIVE_INFINITY;
			for (let r = 0; r < ROUNDS; r++) {
				smallBest = Math.min(smallBest, await perByte(c, c.n, small));
				largeBest = Math.min(largeBest, await perByte(c, c.n * SCALE, large));
			}
			const ratio = largeBest / smallBest;
			console.info(
				`${c.route} ${what}: ${smallBest.toFixed(1)} -> ${largeBest.toFixed(1)} ns/byte (x${ratio.toFixed(2)})`,
			);
			expect(ratio).toBeLessThan(LINEAR_BOUND);
			if (c.route !== "/ingest/sourcemaps") return;
			// What an upload stores grows with it too, within the map plus INDEX_FACTOR times it (index-format.ts).
			const storedSmall = await storedPerByte(c, c.n);
			const storedLarge = await storedPerByte(c, c.n * SCALE);
			console.info(`  stored ${storedSmall.toFixed(2)} -> ${storedLarge.toFixed(2)} bytes per byte sent`);
			expect(storedLarge).toBeLessThanOrEqual(1 + INDEX_FACTOR);
			if (storedSmall > 0) expect(storedLarge / storedSmall).toBeLessThan(LINEAR_BOUND);
		}, 120_000);
	}
});
