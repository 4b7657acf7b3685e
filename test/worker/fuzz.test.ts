import { env } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL as VERCEL_ENTRIES } from "../fixtures/vercel.ts";
import { call, createKey, storedRows, type TestKey } from "./helpers.ts";

// Property-based fuzzing of every ingest route, seeded and reproducible (FUZZ_SEED, FUZZ_RUNS).
// Invariants: a documented status and JSON body, the worker never throws, and the rows stored are
// exactly those of accepted requests.

const RUNS = Number(env.FUZZ_RUNS);
const SEED = Number(env.FUZZ_SEED);

type Route = "/ingest/logs" | "/ingest/errors" | "/ingest/traces" | "/ingest/llm" | "/ingest/drain";
const TABLE: Record<Route, string> = {
	"/ingest/logs": "logs",
	"/ingest/errors": "errors",
	"/ingest/traces": "spans",
	"/ingest/llm": "llm_usage",
	"/ingest/drain": "logs",
};

const iso = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) }).map((t) => new Date(t).toISOString());
const text = fc.string({ maxLength: 40, unit: "binary" });
const smallObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
const count = fc.oneof(fc.nat({ max: 1_000_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));

const VALID: Record<Route, fc.Arbitrary<Record<string, unknown>>> = {
	"/ingest/logs": fc.record(
		{
			service: text,
			environment: text,
			release: fc.string({ maxLength: 128 }),
			logs: fc.array(
				fc.record(
					{
						level: fc.constantFrom("debug", "info", "warn", "error"),
						message: text,
						timestamp: iso,
						metadata: smallObject,
						trace_id: text,
						request_id: text,
						vercel_id: text,
					},
					{ requiredKeys: ["level", "message"] },
				),
				{ minLength: 1, maxLength: 20 },
			),
		},
		{ requiredKeys: ["logs"] },
	),
	"/ingest/errors": fc.record(
		{
			error_message: text,
			stack_trace: fc.oneof(
				text,
				fc.constant("TypeError: x\n    at f (/app/src/a.ts:1:2)\n    at g (/app/src/b.ts:3:4)"),
			),
			severity: fc.constantFrom("low", "medium", "high", "critical"),
			context: smallObject,
			user_id: text,
			breadcrumbs: fc.array(fc.record({ type: text, message: text, timestamp: iso }), { maxLength: 5 }),
		},
		{ requiredKeys: ["error_message", "stack_trace"] },
	),
	"/ingest/traces": fc.record(
		{
			trace_id: text,
			span_id: text,
			parent_span_id: text,
			operation: text,
			start_time: iso,
			duration_ms: count,
			status: fc.constantFrom("ok", "error"),
			metadata: smallObject,
		},
		{ requiredKeys: ["trace_id", "span_id", "operation", "start_time", "duration_ms"] },
	),
	"/ingest/llm": fc.record(
		{
			model: text,
			provider: text,
			operation: text,
			input_tokens: count,
			output_tokens: count,
			cost_usd: fc.double({ min: 0, max: 100, noNaN: true }),
			latency_ms: count,
			metadata: smallObject,
		},
		{ requiredKeys: ["model", "provider", "operation", "input_tokens", "output_tokens", "latency_ms"] },
	),
	"/ingest/drain": fc
		.array(fc.constantFrom(...VERCEL_ENTRIES), { minLength: 1, maxLength: 10 })
		.map((entries) => ({ entries })),
};

const POISON_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

/** A valid body with one mutation: a field dropped, retyped, or joined by a hostile key. */
function mutate(body: Record<string, unknown>) {
	const keys = Object.keys(body);
	return fc.oneof(
		fc.constant(body),
		fc.constantFrom(...(keys.length ? keys : ["x"])).map((k) => {
			const { [k]: _, ...rest } = body;
			return rest;
		}),
		fc
			.tuple(fc.constantFrom(...(keys.length ? keys : ["x"])), fc.jsonValue({ maxDepth: 4 }))
			.map(([k, v]) => ({ ...body, [k]: v })),
		fc.tuple(fc.constantFrom(...POISON_KEYS), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => {
			const copy: Record<string, unknown> = { ...body };
			Object.defineProperty(copy, k, { value: v, enumerable: true, configurable: true, writable: true });
			return copy;
		}),
	);
}

const enc = new TextEncoder();

/** Raw bodies no serializer would produce. */
const RAW: string[] = [
	"",
	"   \n\t ",
	"{",
	'{"logs": [',
	"null",
	"[]",
	"1e309",
	'{"logs":[{"level":"info","message":"\\ud800"}]}',
	'{"logs":[{"level":"info","message":"m","metadata":{"n":9007199254740993}}]}',
	'{"duration_ms": 1e309, "trace_id":"t","span_id":"s","operation":"o","start_time":"2026-01-01T00:00:00Z"}',
	'{"input_tokens": 90071992547409930000, "output_tokens": 1, "latency_ms": 1, "model":"m","provider":"p","operation":"o"}',
	'{"error_message":"e","stack_trace":"s","__proto__":{"polluted":true}}',
	`{"logs":[{"level":"info","message":"m","metadata":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}]}`,
	`{"logs":[{"level":"info","message":"m","metadata":{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":1`).join(",")}}}]}`,
	`{"logs":[{"level":"info","message":"${"x".repeat(300_000)}"}]}`,
	`{"error_message":"${"e".repeat(40_000)}","stack_trace":"s"}`,
	`{"error_message":"e","stack_trace":"s","breadcrumbs":[${Array.from({ length: 101 }, () => '{"type":"t","message":"m","timestamp":"2026-01-01T00:00:00Z"}').join(",")}]}`,
];

interface FuzzRequest {
	route: Route;
	body: Uint8Array;
	headers: Record<string, string>;
	/** The body before any compression. */
	text: string;
}

async function compress(bytes: Uint8Array, format: "gzip" | "deflate"): Promise<Uint8Array> {
	return new Uint8Array(
		await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer(),
	);
}

let gzipBomb: Uint8Array;
let truncatedGzip: Uint8Array;

// Mostly what clients send, sometimes what they should not.
const headerVariants = fc.record({
	contentType: fc.oneof(
		{ weight: 12, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
		{ weight: 2, arbitrary: fc.constantFrom("text/plain;charset=UTF-8", undefined) },
		{
			weight: 1,
			arbitrary: fc.constantFrom("application/xml", "application/json, application/json", "multipart/form-data"),
		},
	),
	encoding: fc.oneof(
		{ weight: 12, arbitrary: fc.constant(undefined) },
		{ weight: 3, arbitrary: fc.constantFrom("gzip", "deflate", "identity") },
		{ weight: 1, arbitrary: fc.constantFrom("br", "gzip, gzip") },
	),
});

const request: fc.Arbitrary<Promise<FuzzRequest>> = fc
	.tuple(
		fc.constantFrom<Route>("/ingest/logs", "/ingest/errors", "/ingest/traces", "/ingest/llm", "/ingest/drain"),
		fc.nat(),
		headerVariants,
		fc.nat({ max: 99 }),
		fc.jsonValue({ maxDepth: 5 }),
	)
	.chain(([route, pick, h, kind, random]) =>
		VALID[route].chain(mutate).map(async (mutated): Promise<FuzzRequest> => {
			let text: string;
			if (kind < 70)
				text = JSON.stringify(route === "/ingest/drain" && "entries" in mutated ? mutated.entries : mutated);
			else if (kind < 85) text = JSON.stringify(random);
			else text = RAW[pick % RAW.length] as string;
			let body: Uint8Array = enc.encode(text);
			if (kind === 86) body = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // invalid UTF-8
			const headers: Record<string, string> = { authorization: "" };
			if (h.contentType) headers["content-type"] = h.contentType;
			if (kind === 87) {
				body = gzipBomb;
				headers["content-encoding"] = "gzip";
			} else if (kind === 88) {
				body = truncatedGzip;
				headers["content-encoding"] = "gzip";
			} else if (h.encoding) {
				headers["content-encoding"] = h.encoding;
				if (h.encoding === "gzip" || h.encoding === "deflate") body = await compress(body, h.encoding);
			}
			return { route, body, headers, text };
		}),
	);

const ALLOWED_STATUS = new Set([200, 400, 413, 415]);

function checkBody(route: Route, status: number, body: Record<string, unknown>): number {
	if (status === 200) {
		expect(body.ok).toBe(true);
		if (route === "/ingest/logs" || route === "/ingest/drain") {
			expect(Number.isInteger(body.count)).toBe(true);
			return body.count as number;
		}
		if (route === "/ingest/errors") expect(body.fingerprint).toMatch(/^[0-9a-f]{64}$/);
		else expect(body).toEqual({ ok: true });
		return 1;
	}
	if (status === 400 && "success" in body) {
		expect(body.success).toBe(false);
		const error = body.error as { name: string; issues: { code: string; path: unknown[]; message: string }[] };
		expect(error.name).toBe("ZodError");
		expect(error.issues.length).toBeGreaterThan(0);
		for (const issue of error.issues) {
			expect(typeof issue.code).toBe("string");
			expect(Array.isArray(issue.path)).toBe(true);
			expect(typeof issue.message).toBe("string");
		}
		return 0;
	}
	expect(typeof body.error).toBe("string");
	return 0;
}

describe("fuzzing every ingest route", () => {
	let k: TestKey;
	beforeAll(async () => {
		k = await createKey({ rateLimit: 10_000_000 });
		// 20 MB of zeros in ~20 KB: must stop at the 5 MB limit, never expand in memory.
		const zeros = new ReadableStream<Uint8Array>({
			start(controller) {
				const chunk = new Uint8Array(1024 * 1024).fill(0x30);
				for (let i = 0; i < 20; i++) controller.enqueue(chunk);
				controller.close();
			},
		});
		gzipBomb = new Uint8Array(await new Response(zeros.pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
		const full = await compress(enc.encode(JSON.stringify({ logs: [{ level: "info", message: "m" }] })), "gzip");
		truncatedGzip = full.slice(0, full.length - 9);
	});

	it(`holds for ${RUNS} seeded cases, and the rows stored are exactly those accepted`, async () => {
		const accepted: Record<string, number> = { logs: 0, errors: 0, spans: 0, llm_usage: 0 };
		const statuses: Record<number, number> = {};
		// A drain body delivered again (compressed or not) is a redelivery: stored once (README, Idempotency).
		const drained = new Set<string>();
		await fc.assert(
			fc.asyncProperty(request, async (pending) => {
				const req = await pending;
				req.headers.authorization = `Bearer ${k.key}`;
				const res = await call(req.route, { method: "POST", headers: req.headers, body: req.body });
				statuses[res.status] = (statuses[res.status] ?? 0) + 1;
				expect(ALLOWED_STATUS.has(res.status), `status ${res.status}`).toBe(true);
				expect(res.headers.get("content-type")).toMatch(/^application\/json/);
				const rows = checkBody(req.route, res.status, (await res.json()) as Record<string, unknown>);
				const redelivery = req.route === "/ingest/drain" && rows > 0 && drained.has(req.text);
				if (req.route === "/ingest/drain" && rows > 0) drained.add(req.text);
				if (!redelivery) accepted[TABLE[req.route]] = (accepted[TABLE[req.route]] ?? 0) + rows;
			}),
			{ numRuns: RUNS, seed: SEED, endOnFailure: true },
		);
		const stored: Record<string, number> = {};
		for (const table of Object.keys(accepted)) stored[table] = (await storedRows(table, k.projectId)).length;
		console.info(JSON.stringify({ fuzz: { runs: RUNS, seed: SEED, statuses, accepted, stored } }));
		expect(stored).toEqual(accepted);
		expect(statuses[200]).toBeGreaterThan(RUNS / 4);
	}, 900_000);
});

describe("regressions the fuzzer found", () => {
	it("a lone UTF-16 surrogate is stored as U+FFFD instead of sinking the insert (it answered 200 and lost the row)", async () => {
		const k = await createKey();
		const res = await call("/ingest/logs", {
			method: "POST",
			headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
			body: '{"logs":[{"level":"info","message":"a\\ud800b","trace_id":"\\udc00"}]}',
		});
		expect(await res.json()).toEqual({ ok: true, count: 1 });
		expect(await storedRows("logs", k.projectId)).toEqual([
			expect.objectContaining({ message: "a\uFFFDb", trace_id: "\uFFFD" }),
		]);
	});
});
