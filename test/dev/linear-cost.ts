import { expect, it } from "vitest";
import { API_KEY, benchContext, benchServices, ENV } from "../../bench/harness.ts";
import { createApp } from "../../bench/src-app.js";
import type { SourceMapStore } from "../../src/ports.ts";
import { INDEX_FACTOR } from "../../src/sourcemaps/index-format.ts";

// The cost of a request grows at most linearly in its size: per route, a worst-case shape at two
// sizes 8x apart; the CPU per byte at the larger must stay under LINEAR_BOUND x the smaller's. Linear work gives
// about 1, n log n about 1.3, quadratic work (the OTLP resource x items copy this replaced) about 8.
// Robust on a loaded machine: thread CPU time (not wall), batches of >= 150 ms (CPU time advances in scheduler
// ticks), the least of several rounds (noise only ever adds time), sizes measured in alternation. The cases are in
// two files that run side by side: cost.test.ts (the JSON and OTLP routes) and cost-uploads.test.ts (source maps).

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

function threadCpuNs(): number {
	const u = process.threadCpuUsage();
	return (u.user + u.system) * 1e3;
}

export interface Case {
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

/** One test per case: CPU per byte at n and SCALE x n, and for uploads the bytes stored per byte sent. */
export function linearCases(cases: Case[]): void {
	for (const c of cases) {
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
}
