import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LIMITS, MAX_COST, MAX_COUNT, MAX_TIME, MIN_TIME } from "../../src/ingest/limits.ts";
import { tracesProtobuf } from "../fixtures/otlp-wire.ts";
import { call, createKey, storedRows, type TestKey } from "./helpers.ts";

// Every route keeps what is valid by the contract's types however far past our bounds it goes: 200, every row
// stored, each clipped field listed in the row's `truncated`, and the contract's own rules still the documented 400.
// A property over generated bodies, against the real engines.

const RUNS = Number(env.PROPERTY_RUNS);
const SEED = Number(env.PROPERTY_SEED);
type Row = Record<string, unknown>;

/** What a row must hold: a column's value, or only its length at most some bound (objects reduced). */
type Want = { column: string; is: unknown } | { column: string; atMost: number; has?: string };
/** One field pushed past its bound: its path on the row, and what the row then holds. */
interface Knob {
	path: string;
	want: Want;
}
interface Case {
	path: string;
	contentType: string;
	body: string | Uint8Array<ArrayBuffer>;
	/** Per row (in the order rows sort by `order`), the knobs it must list. */
	rows: Knob[][];
	order: string;
}

const MARKER = "[truncated]";
/** A string `extra` units past `max`; with `straddle`, an astral character across the bound (clipped before it). */
const past = (max: number, extra: number, straddle: boolean) =>
	straddle ? `${"a".repeat(max - 1)}😀${"b".repeat(extra)}` : "a".repeat(max + extra);
const clipped = (max: number, straddle: boolean) => (straddle ? "a".repeat(max - 1) : "a".repeat(max));
const big = () => ({ blob: "x".repeat(LIMITS.objectBytes + 100), keep: 1 });
const text = (column: string, max: number, s: boolean): Knob => ({
	path: column,
	want: { column, is: clipped(max, s) },
});
const object = (column: string): Knob => ({ path: column, want: { column, atMost: LIMITS.objectBytes, has: MARKER } });

const pick = <T>(all: T[], mask: number) => all.filter((_, i) => (mask >> i) & 1);
const json = (v: unknown) => JSON.stringify(v);
const HEX_TRACE = "5b8efff798038103d269b633813fc60c";
const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);
const T = Date.UTC(2026, 11, 3, 10, 0, 0);

function logs(mask: number, s: boolean): Case {
	const batch = pick([text("service", LIMITS.name, s), text("environment", LIMITS.name, s)], mask & 3);
	const entry = pick(
		[
			text("message", LIMITS.logMessage, s),
			text("trace_id", LIMITS.id, s),
			text("context", LIMITS.name, s),
			object("metadata"),
			{ path: "timestamp", want: { column: "timestamp", is: "2299-12-31 23:59:59.999" } },
		],
		mask >> 2,
	);
	const value = (k: string, max: number) => (entry.some((e) => e.path === k) ? past(max, 3, s) : `${k}-ok`);
	const first: Row = {
		level: "info",
		message: value("message", LIMITS.logMessage),
		trace_id: value("trace_id", LIMITS.id),
		context: value("context", LIMITS.name),
		timestamp: entry.some((e) => e.path === "timestamp") ? "2400-01-01T00:00:00.000Z" : "2026-12-03T10:00:00.000Z",
		...(entry.some((e) => e.path === "metadata") ? { metadata: big() } : {}),
	};
	const body = {
		...(batch.some((b) => b.path === "service") ? { service: past(LIMITS.name, 2, s) } : {}),
		...(batch.some((b) => b.path === "environment") ? { environment: past(LIMITS.name, 1, s) } : {}),
		logs: [first, { level: "warn", message: "zz plain" }],
	};
	return {
		path: "/ingest/logs",
		contentType: "application/json",
		body: json(body),
		rows: [[...batch, ...entry], batch],
		order: "message",
	};
}

function errors(mask: number, s: boolean): Case {
	const line = "    at handler (/app/src/api/route.ts:10:3)\n";
	const stack = `Error: boom\n${line.repeat(Math.ceil((LIMITS.stackTrace + 100) / line.length))}`;
	const knobs = pick(
		[
			text("error_message", LIMITS.errorMessage, s),
			{
				path: "stack_trace",
				want: { column: "stack_trace", is: stack.slice(0, stack.lastIndexOf("\n", LIMITS.stackTrace)) },
			},
			object("context"),
			text("user_id", LIMITS.id, s),
			{ path: "breadcrumbs", want: { column: "breadcrumbs", is: "set below, once the crumbs are made" } },
		],
		mask,
	);
	const has = (p: string) => knobs.some((k) => k.path === p);
	const crumbs = Array.from({ length: has("breadcrumbs") ? LIMITS.breadcrumbs + 7 : 3 }, (_, i) => ({
		type: "log",
		message: `[info] ${i}`,
		timestamp: "2026-12-03T10:00:00.000Z",
	}));
	// The most recent crumb is too long: kept (the most recent are), clipped, listed at its stored index.
	const last = Math.min(crumbs.length, LIMITS.breadcrumbs) - 1;
	(crumbs.at(-1) as { message: string }).message = past(LIMITS.breadcrumbMessage, 4, s);
	knobs.push({ path: `breadcrumbs[${last}].message`, want: { column: "breadcrumbs", is: "set below" } });
	// What the row stores: the most recent LIMITS.breadcrumbs, the last one's message clipped.
	const kept = crumbs.slice(-LIMITS.breadcrumbs).map((c, i, all) => ({
		...c,
		message: i === all.length - 1 ? clipped(LIMITS.breadcrumbMessage, s) : c.message,
	}));
	for (const k of knobs) if (k.want.column === "breadcrumbs") k.want = { column: "breadcrumbs", is: json(kept) };
	const body = {
		error_message: has("error_message") ? past(LIMITS.errorMessage, 5, s) : "boom",
		stack_trace: has("stack_trace") ? stack : "Error: boom\n    at f (/a.js:1:1)",
		...(has("context") ? { context: big() } : {}),
		...(has("user_id") ? { user_id: past(LIMITS.id, 1, s) } : {}),
		breadcrumbs: crumbs,
	};
	// breadcrumbs (entries dropped) is listed after the crumbs' own fields are read: last-but-one in the row.
	return {
		path: "/ingest/errors",
		contentType: "application/json",
		body: json(body),
		rows: [knobs],
		order: "fingerprint",
	};
}

function traces(mask: number, s: boolean): Case {
	const knobs = pick(
		[
			text("service", LIMITS.name, s),
			text("span_id", LIMITS.id, s),
			text("operation", LIMITS.name, s),
			{ path: "start_time", want: { column: "start_time", is: "1900-01-01 00:00:00.000" } },
			{ path: "duration_ms", want: { column: "duration_ms", is: MAX_COUNT } },
			object("metadata"),
		],
		mask,
	);
	const has = (p: string) => knobs.some((k) => k.path === p);
	const body = {
		...(has("service") ? { service: past(LIMITS.name, 2, s) } : {}),
		trace_id: "t",
		span_id: has("span_id") ? past(LIMITS.id, 1, s) : "s",
		operation: has("operation") ? past(LIMITS.name, 9, s) : "op",
		start_time: has("start_time") ? "1800-01-01T00:00:00.000Z" : "2026-12-03T10:00:00.000Z",
		duration_ms: has("duration_ms") ? 1e300 : 5,
		...(has("metadata") ? { metadata: big() } : {}),
	};
	return {
		path: "/ingest/traces",
		contentType: "application/json",
		body: json(body),
		rows: [knobs],
		order: "trace_id",
	};
}

function llm(mask: number, s: boolean): Case {
	const knobs = pick(
		[
			text("model", LIMITS.name, s),
			text("provider", LIMITS.name, s),
			{ path: "input_tokens", want: { column: "input_tokens", is: MAX_COUNT } },
			{ path: "cost_usd", want: { column: "cost_usd", is: MAX_COST } },
			object("metadata"),
		],
		mask,
	);
	const has = (p: string) => knobs.some((k) => k.path === p);
	const body = {
		model: has("model") ? past(LIMITS.name, 3, s) : "gpt-4o",
		provider: has("provider") ? past(LIMITS.name, 3, s) : "openai",
		operation: "chat",
		input_tokens: has("input_tokens") ? 1e300 : 10,
		output_tokens: 2,
		cost_usd: has("cost_usd") ? MAX_COST * 10 : 0.5,
		latency_ms: 3,
		...(has("metadata") ? { metadata: big() } : {}),
	};
	return { path: "/ingest/llm", contentType: "application/json", body: json(body), rows: [knobs], order: "model" };
}

function drain(mask: number, s: boolean, tag: number): Case {
	const knobs = pick(
		[
			{ path: "timestamp", want: { column: "timestamp", is: "2299-12-31 23:59:59.999" } },
			text("service", LIMITS.name, s),
			text("release", LIMITS.release, s),
			text("message", LIMITS.logMessage + 1024, s),
			object("metadata"),
			text("request_id", LIMITS.id, s),
		],
		mask,
	);
	const has = (p: string) => knobs.some((k) => k.path === p);
	const entry = {
		id: `e-${tag}`,
		timestamp: has("timestamp") ? 1e15 : T,
		projectName: has("service") ? past(LIMITS.name, 1, s) : "shop",
		deploymentId: has("release") ? past(LIMITS.release, 2, s) : "dpl_1",
		message: has("message") ? past(LIMITS.logMessage + 1024, 6, s) : "a",
		requestId: has("request_id") ? past(LIMITS.id, 1, s) : "req",
		source: "lambda",
		...(has("metadata") ? { payload: "x".repeat(LIMITS.objectBytes + 100) } : {}),
	};
	return {
		path: "/ingest/drain",
		contentType: "application/json",
		body: json([entry]),
		rows: [knobs],
		order: "message",
	};
}

function otlp(mask: number, s: boolean, protobuf: boolean, tag: number): Case {
	const knobs = pick(
		[
			text("service", LIMITS.name, s),
			text("release", LIMITS.release, s),
			text("operation", LIMITS.name, s),
			object("metadata"),
		],
		mask,
	);
	const has = (p: string) => knobs.some((k) => k.path === p);
	const resource = {
		"service.name": has("service") ? past(LIMITS.name, 2, s) : "api",
		...(has("release") ? { "service.version": past(LIMITS.release, 3, s) } : {}),
	};
	const span = {
		traceId: HEX_TRACE,
		spanId: (0x1000_0000_0000 + tag).toString(16).padStart(16, "0"),
		name: has("operation") ? past(LIMITS.name, 4, s) : "GET /",
		start: BigInt(T) * 1_000_000n,
		end: BigInt(T + 3) * 1_000_000n,
		attributes: (has("metadata") ? { prompt: "x".repeat(LIMITS.objectBytes + 100), kept: 1 } : { kept: 1 }) as Record<
			string,
			string | number
		>,
	};
	// metadata and release are noted before the row's own fields (the shared attributes come first).
	const order = ["metadata", "release", "service", "operation"];
	knobs.sort((a, b) => order.indexOf(a.path) - order.indexOf(b.path));
	const body = protobuf
		? tracesProtobuf([{ resource, scopes: [{ items: [span] }] }])
		: json({
				resourceSpans: [
					{
						resource: { attributes: Object.entries(resource).map(([key, v]) => ({ key, value: { stringValue: v } })) },
						scopeSpans: [
							{
								spans: [
									{
										traceId: span.traceId,
										spanId: span.spanId,
										name: span.name,
										startTimeUnixNano: nanos(T),
										endTimeUnixNano: nanos(T + 3),
										attributes: Object.entries(span.attributes).map(([key, v]) => ({
											key,
											value: typeof v === "number" ? { intValue: String(v) } : { stringValue: v },
										})),
									},
								],
							},
						],
					},
				],
			});
	return {
		path: "/v1/traces",
		contentType: protobuf ? "application/x-protobuf" : "application/json",
		body,
		rows: [knobs],
		order: "trace_id",
	};
}

const scenario = fc.record({
	route: fc.constantFrom("logs", "errors", "traces", "llm", "drain", "otlp-json", "otlp-protobuf"),
	mask: fc.nat(127),
	straddle: fc.boolean(),
	tag: fc.nat(1_000_000),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): Case {
	switch (s.route) {
		case "logs":
			return logs(s.mask, s.straddle);
		case "errors":
			return errors(s.mask, s.straddle);
		case "traces":
			return traces(s.mask, s.straddle);
		case "llm":
			return llm(s.mask, s.straddle);
		case "drain":
			return drain(s.mask, s.straddle, s.tag);
		default:
			return otlp(s.mask, s.straddle, s.route === "otlp-protobuf", s.tag);
	}
}

async function send(k: TestKey, c: Case) {
	return call(`${c.path}?wait=true`, {
		method: "POST",
		headers: { authorization: `Bearer ${k.key}`, "content-type": c.contentType },
		body: c.body,
	});
}

const TABLE: Record<string, string> = {
	"/ingest/logs": "logs",
	"/ingest/errors": "errors",
	"/ingest/traces": "spans",
	"/ingest/llm": "llm_usage",
	"/ingest/drain": "logs",
	"/v1/traces": "spans",
};

describe("past any bound of ours, every route keeps the event", () => {
	it(`stores every row, clipped and listed, for ${RUNS} generated bodies (seed ${SEED})`, async () => {
		const k = await createKey({ rateLimit: 1_000_000 });
		let seen = 0;
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const c = build(s);
				const before = (await storedRows<Row>(TABLE[c.path] as string, k.projectId)).length;
				const res = await send(k, c);
				expect(res.status, `${c.path}: ${c.contentType === "application/json" ? await res.text() : ""}`).toBe(200);
				const all = await storedRows<Row>(TABLE[c.path] as string, k.projectId);
				const rows = all.slice(before).sort((a, b) => String(a[c.order]).localeCompare(String(b[c.order])));
				expect(rows).toHaveLength(c.rows.length);
				c.rows.forEach((knobs, i) => {
					const row = rows[i] as Row;
					expect([...(row.truncated as string[])].sort()).toEqual(knobs.map((k) => k.path).sort());
					for (const { want } of knobs) {
						const got = row[want.column];
						if ("is" in want) expect(got, want.column).toEqual(want.is);
						else {
							expect(String(got).length, want.column).toBeLessThanOrEqual(want.atMost);
							if (want.has) expect(String(got)).toContain(want.has);
						}
					}
					for (const [column, value] of Object.entries(row)) {
						if (typeof value === "string") expect(value.isWellFormed(), column).toBe(true);
					}
				});
				seen++;
			}),
			{ numRuns: RUNS, seed: SEED, endOnFailure: true },
		);
		expect(seen).toBe(RUNS);
	}, 600_000);

	it("keeps the contract's own 400 for a body past our bounds that also breaks the contract, storing nothing", async () => {
		const k = await createKey();
		const long = "a".repeat(LIMITS.logMessage + 10);
		const cases: [string, unknown][] = [
			["/ingest/logs", { release: "r".repeat(129), logs: [{ level: "info", message: long }] }],
			["/ingest/logs", { logs: [{ level: "loud", message: long }] }],
			[
				"/ingest/llm",
				{ model: long, provider: "p", operation: "o", input_tokens: -1, output_tokens: 1, latency_ms: 1 },
			],
			["/ingest/errors", { error_message: long, breadcrumbs: [{ type: "t", message: "m" }] }],
			["/ingest/traces", { trace_id: "t", span_id: "s", operation: long, start_time: "yesterday", duration_ms: 1 }],
		];
		for (const [path, body] of cases) {
			const res = await call(path, {
				method: "POST",
				headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
				body: JSON.stringify(body),
			});
			expect(res.status, path).toBe(400);
			const answer = (await res.json()) as { success: boolean; error: { name: string; issues: unknown[] } };
			expect([answer.success, answer.error.name]).toEqual([false, "ZodError"]);
		}
		for (const table of ["logs", "errors", "spans", "llm_usage"])
			expect(await storedRows(table, k.projectId)).toEqual([]);
		expect([MIN_TIME, MAX_TIME]).toEqual([Date.UTC(1900, 0, 1), Date.UTC(2299, 11, 31, 23, 59, 59, 999)]);
	});
});
