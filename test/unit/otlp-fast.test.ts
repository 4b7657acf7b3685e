import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as schemas from "../../src/ingest/schemas.ts";
import {
	decodeLogsJson,
	decodeTracesJson,
	ExportLogsServiceRequest,
	ExportTraceServiceRequest,
} from "../../src/otlp/decode-json.ts";
import { decode, toRows } from "../../src/otlp/export.ts";
import { fastLogsJson, fastTracesJson } from "../../src/otlp/json-fast.ts";
import { REQUEST_DEPTH } from "../../src/otlp/json-map.ts";
import type { LogsRequest, TracesRequest } from "../../src/otlp/model.ts";
import { logsToRows, spansToRows } from "../../src/otlp/rows.ts";

// The fast path of OTLP/JSON decoding (src/otlp/json-fast.ts) against zod (decode-json.ts), which stays the one
// definition of the structure and says what is wrong with a request. Soundness: whenever the fast path decodes a
// request, zod accepts it and decodes it to the same model. Coverage: what exporters send (bounded nesting), the fast
// path does decode. The rows of a decoded request are checked item by item with the JSON routes' fast path: the same
// rows as with zod for every item. Generators are read from the zod schemas, as in fast.test.ts; seeded likewise.

const SEED = Number(env.FUZZ_SEED);
const RUNS = Math.max(100, Math.round(Number(env.FUZZ_RUNS) / 5));

// ---------------------------------------------------------------------------------------------------------------
// The schemas' shapes: the kinds the OTLP/JSON schemas use (object, optional, union, array, lazy, string, number,
// boolean). A kind this map does not know fails loudly rather than going ungenerated.

interface Schema {
	_zod: { def: Def };
}
interface Def {
	type: string;
	shape?: Record<string, Schema>;
	innerType?: Schema;
	options?: Schema[];
	element?: Schema;
	getter?: () => Schema;
	checks?: unknown[];
}

type Node =
	| { kind: "string" | "number" | "boolean" }
	| { kind: "object"; fields: Record<string, Node | (() => Node)> }
	| { kind: "union"; of: Node[] }
	| { kind: "array"; of: Node | (() => Node) };

/** What a schema generates; recursive schemas (z.lazy) become thunks, resolved once per schema. */
function nodeOf(schema: Schema, seen = new Map<Schema, () => Node>(), at = "body"): Node {
	const def = schema._zod.def;
	switch (def.type) {
		case "string":
		case "number":
		case "boolean":
			if (def.checks?.length) break;
			return { kind: def.type };
		case "optional":
			return nodeOf(def.innerType as Schema, seen, at);
		case "union":
			return { kind: "union", of: (def.options ?? []).map((o, i) => nodeOf(o, seen, `${at}|${i}`)) };
		case "array":
			return { kind: "array", of: lazyNode(def.element as Schema, seen, `${at}[]`) };
		case "object": {
			const fields: Record<string, Node | (() => Node)> = {};
			for (const [key, field] of Object.entries(def.shape ?? {})) {
				if (field._zod.def.type !== "optional") throw new Error(`${at}.${key}: OTLP/JSON fields are all optional`);
				fields[key] = lazyNode(field, seen, `${at}.${key}`);
			}
			return { kind: "object", fields };
		}
		case "lazy":
			return nodeOf((def.getter as () => Schema)(), seen, at);
	}
	throw new Error(`${at}: no generator for a zod ${def.type}: add one`);
}

/** A field's node, deferred when the field's schema is recursive (z.lazy): resolved when first generated. */
function lazyNode(schema: Schema, seen: Map<Schema, () => Node>, at: string): Node | (() => Node) {
	const inner = schema._zod.def.type === "optional" ? (schema._zod.def.innerType as Schema) : schema;
	if (inner._zod.def.type !== "lazy") return nodeOf(inner, seen, at);
	let thunk = seen.get(inner);
	if (!thunk) {
		let node: Node | undefined;
		thunk = () => {
			node ??= nodeOf(inner, seen, at);
			return node;
		};
		seen.set(inner, thunk);
	}
	return thunk;
}

const TRACES = nodeOf(ExportTraceServiceRequest as unknown as Schema);
const LOGS = nodeOf(ExportLogsServiceRequest as unknown as Schema);
const resolve = (n: Node | (() => Node)) => (typeof n === "function" ? n() : n);

// ---------------------------------------------------------------------------------------------------------------
// Values: generic by kind, and for the fields rows read, also what exporters send (hex ids, nanosecond times, the
// GenAI attributes), so that generated requests reach the row builders and not only the decoder.

const hex = (bytes: number) =>
	fc
		.uint8Array({ minLength: bytes, maxLength: bytes })
		.map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(""));
const NANOS_NOW = 1_780_000_000_000_000_000n;
const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const nearNow = fc.bigInt({ min: NANOS_NOW, max: NANOS_NOW + 10n ** 12n }).map(String);

const anyString = fc.oneof(
	fc.string({ maxLength: 12, unit: "binary" }),
	fc.constantFrom("", "0", "00", "NaN", "Infinity"),
);
const anyNumber = fc.oneof(
	fc.integer(),
	fc.double({ noNaN: true, noDefaultInfinity: true }),
	fc.constantFrom(0, -0, 1.5, 2 ** 53 + 2, 1e300, Number.MIN_VALUE),
);
const ATTRIBUTE_KEYS = [
	"http.route",
	"service.name",
	"service.version",
	"deployment.environment",
	"gen_ai.request.model",
	"gen_ai.response.model",
	"gen_ai.provider.name",
	"gen_ai.usage.input_tokens",
	"gen_ai.usage.output_tokens",
	"gen_ai.operation.name",
	"vercel.deploymentId",
	"__proto__",
	"1",
	"",
];

/** Realistic values by field name (mixed with the generic ones of the field's kind). */
const REALISTIC: Record<string, fc.Arbitrary<unknown>> = {
	traceId: hex(16),
	spanId: hex(8),
	parentSpanId: fc.oneof(hex(8), fc.constant("")),
	startTimeUnixNano: nearNow,
	endTimeUnixNano: nearNow,
	timeUnixNano: fc.oneof(nearNow, nanos),
	observedTimeUnixNano: nearNow,
	key: fc.constantFrom(...ATTRIBUTE_KEYS),
	kind: fc.constantFrom(0, 1, 2, 3, "SPAN_KIND_SERVER", "server", 2.5),
	code: fc.constantFrom(0, 1, 2, "STATUS_CODE_ERROR"),
	severityNumber: fc.constantFrom(0, 9, 13, 17, 24, "SEVERITY_NUMBER_WARN"),
	intValue: fc.oneof(fc.integer({ min: 0, max: 5000 }).map(String), fc.integer()),
	// Past the bounds rows clip at: a release (128), a name (256).
	stringValue: fc.oneof(
		fc.constantFrom("gpt-4o", "openai", "chat", "web", "r".repeat(129), "n".repeat(257)),
		fc.string({ maxLength: 300 }),
	),
	name: fc.oneof(fc.constantFrom("GET /api", "chat gpt-4o"), fc.string({ maxLength: 300 })),
};

/** Valid JSON for a node, nested at most `budget` levels of recursion (z.lazy) deep. */
function valid(node: Node, budget: number, key?: string): fc.Arbitrary<unknown> {
	const generic = (): fc.Arbitrary<unknown> => {
		switch (node.kind) {
			case "string":
				return anyString;
			case "number":
				return anyNumber;
			case "boolean":
				return fc.boolean();
			case "union":
				return fc.oneof(...node.of.map((n) => valid(n, budget)));
			case "array": {
				const item = node.of;
				if (typeof item === "function" && budget <= 0) return fc.constant([]);
				return fc.array(valid(resolve(item), typeof item === "function" ? budget - 1 : budget), { maxLength: 3 });
			}
			case "object":
				return objectOf(node.fields, budget);
		}
	};
	const realistic = key === undefined ? undefined : REALISTIC[key];
	return realistic ? fc.oneof({ weight: 3, arbitrary: realistic }, { weight: 1, arbitrary: generic() }) : generic();
}

function objectOf(fields: Record<string, Node | (() => Node)>, budget: number): fc.Arbitrary<Record<string, unknown>> {
	const model: Record<string, fc.Arbitrary<unknown>> = {};
	for (const [key, field] of Object.entries(fields)) {
		if (typeof field === "function" && budget <= 0) continue;
		model[key] = valid(resolve(field), typeof field === "function" ? budget - 1 : budget, key);
	}
	return fc
		.tuple(fc.record(model, { requiredKeys: [] }), fc.option(fc.jsonValue({ maxDepth: 2 })))
		.map(([o, extra]) => (extra === null ? o : { ...o, droppedAttributesCount: extra }));
}

/** A request as it arrives: JSON text, parsed (so that only what JSON can say is generated). */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
const validRequest = (root: Node, budget = 3) => valid(root, budget).map(asJson);

type Path = (string | number)[];

/** Every path into a JSON value (containers and leaves). */
function pathsOf(value: unknown, at: Path = []): Path[] {
	const out: Path[] = [at];
	if (value !== null && typeof value === "object") {
		for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, Array.isArray(value) ? Number(k) : k]));
	}
	return out;
}

function setAt(value: unknown, path: Path, next: unknown): unknown {
	if (path.length === 0) return next;
	const [step, ...rest] = path as [string | number, ...Path];
	const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
	copy[step] = setAt(copy[step], rest, next);
	return copy;
}

/** Nested `levels` deep (arrays and objects alternating), as an unknown field or a value may be. */
function deep(levels: number): unknown {
	let v: unknown = 1;
	for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { a: v };
	return v;
}

/** An AnyValue nested `levels` arrayValues deep: valid, and 3 containers per level. */
function deepValue(levels: number): unknown {
	let v: unknown = { intValue: "1" };
	for (let i = 0; i < levels; i++) v = { arrayValue: { values: [v] } };
	return v;
}

const WRONG_TYPES: unknown[] = [null, 1, 1.5, "x", true, [], {}, [null], [1]];
const wrongType = fc.constantFrom(...WRONG_TYPES);

/** A request with every field present once (lists of one item, unions their first kind), `budget` recursions deep. */
function full(node: Node, budget: number): unknown {
	switch (node.kind) {
		case "string":
			return "a";
		case "number":
			return 1;
		case "boolean":
			return true;
		case "union":
			return full(node.of[0] as Node, budget);
		case "array":
			if (typeof node.of === "function" && budget <= 0) return [];
			return [full(resolve(node.of), typeof node.of === "function" ? budget - 1 : budget)];
		case "object": {
			const o: Record<string, unknown> = {};
			for (const [key, field] of Object.entries(node.fields)) {
				if (typeof field === "function" && budget <= 0) continue;
				o[key] = full(resolve(field), typeof field === "function" ? budget - 1 : budget);
			}
			return o;
		}
	}
}

/** Valid requests with a value replaced (a wrong type, null, deep nesting) somewhere. */
function mutated(root: Node): fc.Arbitrary<unknown> {
	return validRequest(root).chain((request) =>
		fc
			.tuple(
				fc.constantFrom(...pathsOf(request)),
				fc.oneof(
					{ weight: 3, arbitrary: wrongType },
					fc.jsonValue({ maxDepth: 2 }),
					fc.integer({ min: REQUEST_DEPTH - 12, max: REQUEST_DEPTH + 2 }).map(deep),
					fc.integer({ min: 20, max: 36 }).map(deepValue),
				),
			)
			.map(([path, value]) => setAt(request, path, value)),
	);
}

// ---------------------------------------------------------------------------------------------------------------

interface Signal {
	name: "traces" | "logs";
	root: Node;
	fast(json: unknown): TracesRequest | LogsRequest | undefined;
	zod(json: unknown): { ok: true; value: TracesRequest | LogsRequest } | { ok: false; message: string };
}

const SIGNALS: Signal[] = [
	{ name: "traces", root: TRACES, fast: fastTracesJson, zod: decodeTracesJson },
	{ name: "logs", root: LOGS, fast: fastLogsJson, zod: decodeLogsJson },
];

/** Soundness on one input: a fast decode is zod's decode. */
function agree(signal: Signal, json: unknown) {
	const quick = signal.fast(json);
	const slow = signal.zod(json);
	if (quick !== undefined) {
		expect(slow.ok, `zod refuses what the fast path decoded: ${slow.ok ? "" : slow.message}`).toBe(true);
		expect(quick).toStrictEqual(slow.ok ? slow.value : undefined);
	}
	return { quick, slow };
}

const P = { projectId: "p", apiKeyId: "k", receivedAt: Date.UTC(2026, 10, 26, 9, 0, 0, 123), sdk: "" };

function rowsBoth(signal: Signal, value: TracesRequest | LogsRequest, bytes: number) {
	const map = signal.name === "traces" ? spansToRows : logsToRows;
	const fast = map(value as never, P, bytes, { schemas });
	const zod = map(value as never, P, bytes, { schemas, fast: false });
	return { fast, zod };
}

describe.each(SIGNALS)("OTLP/JSON $name: the fast path against zod", (signal) => {
	it("decodes every request exporters send, as zod does (coverage)", () => {
		fc.assert(
			fc.property(validRequest(signal.root), (json) => {
				const { quick, slow } = agree(signal, json);
				expect(slow.ok).toBe(true);
				expect(quick).not.toBeUndefined();
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});

	it("answers as zod does with each field of a full request given each wrong type", () => {
		const request = full(signal.root, 2);
		const paths = pathsOf(request).filter((p) => p.length > 0);
		expect(paths.length).toBeGreaterThan(40);
		expect(signal.fast(request)).not.toBeUndefined();
		let refused = 0;
		for (const path of paths) {
			for (const value of WRONG_TYPES) {
				const { slow } = agree(signal, setAt(request, path, value));
				if (!slow.ok) refused++;
			}
		}
		expect(refused).toBeGreaterThan(paths.length);
	});

	it("never decodes what zod refuses, nor differently, when a value is retyped or nested deep", () => {
		fc.assert(
			fc.property(mutated(signal.root), (json) => {
				agree(signal, json);
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});

	it("stays sound on arbitrary JSON", () => {
		fc.assert(
			fc.property(
				fc.oneof(
					fc.jsonValue(),
					validRequest(signal.root, 1).map((v) => ({ ...(v as object), x: 1 })),
				),
				(json) => {
					agree(signal, json);
				},
			),
			{ numRuns: RUNS, seed: SEED },
		);
	});

	it("turns a decoded request into the same rows with the items' fast path as with zod alone", () => {
		fc.assert(
			fc.property(validRequest(signal.root), (json) => {
				const decoded = signal.zod(json);
				if (!decoded.ok) return;
				const { fast, zod } = rowsBoth(signal, decoded.value, JSON.stringify(json).length);
				expect(fast).toStrictEqual(zod);
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});
});

describe("OTLP/JSON fast path examples", () => {
	const span = (extra: Record<string, unknown> = {}) => ({
		traceId: "5b8efff798038103d269b633813fc60c",
		spanId: "eee19b7ec3c1b174",
		name: "GET /",
		startTimeUnixNano: "1780000000000000000",
		endTimeUnixNano: "1780000000100000000",
		...extra,
	});
	const traces = (s: unknown) => ({ resourceSpans: [{ scopeSpans: [{ spans: [s] }] }] });

	it("decodes a typical export and leaves the rest to zod, nesting included", () => {
		expect(fastTracesJson(traces(span()))).toStrictEqual(
			(decodeTracesJson(traces(span())) as { value: unknown }).value,
		);
		for (const json of [
			traces(span({ attributes: [{ key: "a", value: deepValue(40) }] })),
			traces(span({ events: [deep(REQUEST_DEPTH)] })),
			traces(span({ name: 1 })),
			traces(span({ kind: JSON.parse("1e999") })),
			traces(span({ kind: null })),
			{ resourceSpans: {} },
			[],
		]) {
			expect(fastTracesJson(json)).toBeUndefined();
		}
		// An unknown field nested past the request's bound is refused by both, as zod's path always did.
		const tooDeep = traces(span({ events: [deep(REQUEST_DEPTH + 2)] }));
		expect(decodeTracesJson(tooDeep)).toEqual({ ok: false, message: "request nested too deeply" });
		// Deep but within: zod takes it; the fast path leaves it to zod.
		const deepOk = traces(span({ attributes: [{ key: "a", value: deepValue(30) }] }));
		expect(fastTracesJson(deepOk)).toBeUndefined();
		expect(decodeTracesJson(deepOk).ok).toBe(true);
	});

	it("clips what the resource shares (a release past 128 characters) on every item's row, as zod's path does", () => {
		const resource = { attributes: [{ key: "service.version", value: { stringValue: "v".repeat(200) } }] };
		const logs = {
			resourceLogs: [{ resource, scopeLogs: [{ logRecords: [{ timeUnixNano: "1780000000000000000" }] }] }],
		};
		const decoded = fastLogsJson(logs) as LogsRequest;
		const { fast, zod } = rowsBoth(SIGNALS[1] as Signal, decoded, 200);
		expect(fast).toStrictEqual(zod);
		expect(fast.rows[0]).toMatchObject({ release: "v".repeat(128), truncated: ["release"] });
	});

	it("loads zod only for what needs it: a name past its bound is clipped on zod's path, as before", async () => {
		const text = JSON.stringify(traces(span({ name: "n".repeat(300) })));
		const decoded = await decode("traces", "json", new TextEncoder().encode(text), text);
		if (!decoded.ok) throw new Error(decoded.message);
		const mapped = await toRows("traces", decoded.value, P, text.length);
		expect(mapped.rows).toHaveLength(1);
		expect(mapped.rows[0]).toMatchObject({ operation: "n".repeat(256), truncated: ["operation"] });
	});
});
