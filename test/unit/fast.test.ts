import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { Clips } from "../../src/ingest/clip.ts";
import { type FastPath, fastErrorRow, fastLlm, fastLogRows, fastSpan } from "../../src/ingest/fast.ts";
import { LIMITS, MAX_COST, MAX_COUNT, MAX_TIME, MIN_TIME } from "../../src/ingest/limits.ts";
import { clickhouseTime, errorRow, llmRow, logRows, type Provenance, spanRow } from "../../src/ingest/rows.ts";
import { clipBounds, ErrorBody, isoDatetime, LlmBody, LogsBody, SpanBody } from "../../src/ingest/schemas.ts";
import { ISO_DATETIME } from "../../src/ingest/wire.ts";

// The fast path of validation (src/ingest/fast.ts) against zod, which stays the one definition of the contract.
// Soundness: whenever the fast path returns a body, zod accepts the same input and outputs an equal one.
// Coverage: for the bodies SDKs send (canonical timestamps, plain metadata) the fast path does return one.
// Seeded and reproducible like the route fuzzer: FUZZ_SEED picks the seed, FUZZ_RUNS scales the runs.

const SEED = Number(env.FUZZ_SEED);
const RUNS = Math.max(100, Math.round(Number(env.FUZZ_RUNS) / 5));

// ---------------------------------------------------------------------------------------------------------------
// The contract's fields, read from the zod schemas themselves: a kind or bound changed in schemas.ts changes the
// generated cases. A kind this map does not know fails loudly rather than going ungenerated. The contract's bounds
// (zod's checks) refuse; ours clip (src/ingest/clip.ts): each clipped field carries its bound on its schema
// (clipBounds), and the bounds the rows apply without one (the timestamps' 1900-2299, metadata's depth and size)
// come from limits.ts. The fast path takes only bodies within every bound (the rest it leaves to zod and the row
// builders, which clip); a test below checks every bound against zod's own answers.

type Field =
	| { kind: "string"; max?: number; clip?: number }
	| { kind: "enum"; values: readonly string[] }
	| { kind: "number"; min: number; max?: number; clip?: number }
	| { kind: "timestamp"; offset: boolean; precision: number | null }
	| { kind: "object" }
	| { kind: "list"; of: Shape; min: number; max?: number; clip?: number };

/** A body's fields; those not `required` are optional or have a default. */
interface Shape {
	fields: Record<string, Field>;
	required: readonly string[];
}

/** The parts of zod's definitions read here (zod/mini keeps them on `_zod.def`). */
interface Schema {
	_zod: { def: Def };
}
interface Def {
	type: string;
	innerType?: Schema;
	in?: Schema;
	out?: Schema;
	element?: Schema;
	keyType?: Schema;
	shape?: Record<string, Schema>;
	entries?: Record<string, string>;
	checks?: {
		_zod: { def: { check: string; minimum?: number; maximum?: number; value?: number; inclusive?: boolean } };
	}[];
	format?: string;
	offset?: boolean;
	local?: boolean;
	precision?: number | null;
}

/** A zod object's fields. */
function shapeOf(schema: unknown, at = "body"): Shape {
	const def = (schema as Schema)._zod.def;
	if (def.type !== "object" || def.shape === undefined) throw new Error(`${at}: not an object schema`);
	const fields: Record<string, Field> = {};
	const required: string[] = [];
	for (const [key, field] of Object.entries(def.shape)) {
		let inner = field;
		if (inner._zod.def.type === "optional" || inner._zod.def.type === "default")
			inner = inner._zod.def.innerType as Schema;
		else required.push(key);
		fields[key] = fieldOf(inner, `${at}.${key}`);
	}
	return { fields, required };
}

/** The bounds of a string, number or array: its min/max checks; any other check is one this map does not know. */
function bounds(def: Def, at: string): { min?: number; max?: number } {
	const out: { min?: number; max?: number } = {};
	for (const check of def.checks ?? []) {
		const c = check._zod.def;
		if (c.check === "max_length") out.max = c.maximum;
		else if (c.check === "min_length") out.min = c.minimum;
		else if (c.check === "greater_than" && c.inclusive) out.min = c.value;
		else if (c.check === "less_than" && c.inclusive) out.max = c.value;
		else if (c.check === "describe") continue;
		else throw new Error(`${at}: no generator for the check ${c.check}${c.inclusive === false ? " (exclusive)" : ""}`);
	}
	return out;
}

/** A bound the contract (zod's checks) or the rows (clipBounds) set; one of them, for a string, number or list. */
const bound = (b: { max?: number; clip?: number }) =>
	b.max !== undefined ? { max: b.max } : b.clip !== undefined ? { clip: b.clip } : undefined;

function fieldOf(schema: Schema, at: string): Field {
	const def = schema._zod.def;
	const { min, max } = bounds(def, at);
	const clip = clipBounds.get(schema as unknown as z.core.$ZodType)?.clip;
	const limit = bound({ max, clip });
	switch (def.type) {
		case "string":
			if (def.format !== undefined || limit === undefined || min !== undefined) break;
			return { kind: "string", ...limit };
		case "enum":
			return { kind: "enum", values: Object.values(def.entries ?? {}) };
		case "number":
			if (min === undefined || limit === undefined) break;
			return { kind: "number", min, ...limit };
		case "array":
			if (limit === undefined || def.element === undefined) break;
			return { kind: "list", of: shapeOf(def.element, `${at}[]`), min: min ?? 0, ...limit };
		case "record":
			if (def.keyType?._zod.def.type === "string") return { kind: "object" };
			break;
		case "pipe": {
			// What zod checks before its transform (the output is zod's to decide: the tests compare against it).
			const input = (def.in as Schema)._zod.def;
			const precision = input.precision ?? null;
			const timestamp = input.type === "string" && input.format === "datetime" && input.local === false;
			if (timestamp && (precision === null || precision >= 0) && !input.checks?.length)
				return { kind: "timestamp", offset: input.offset === true, precision };
			if (input.type === "number") return fieldOf(def.in as Schema, at);
		}
	}
	throw new Error(`${at}: no generator for a zod ${def.type}${def.format ? ` (${def.format})` : ""}: add one`);
}

const LOGS = shapeOf(LogsBody);
const ERROR = shapeOf(ErrorBody);
const SPAN = shapeOf(SpanBody);
const LLM = shapeOf(LlmBody);

interface Route {
	name: string;
	fast: FastPath<unknown>;
	schema: z.ZodMiniType<unknown>;
	shape: Shape;
}

/** Logs go from JSON straight to rows on the fast path: compared with the rows of zod's output. */
const P: Provenance = {
	projectId: "p",
	apiKeyId: "k",
	receivedAt: Date.UTC(2026, 10, 26, 9, 0, 0, 123),
	sdk: "core/0.8.3",
};
const fastLogs: FastPath<unknown> = (body) => fastLogRows(body, P);
const LogsRows = {
	safeParse(body: unknown) {
		const parsed = LogsBody.safeParse(body);
		return parsed.success ? { ...parsed, data: logRows(parsed.data, P, new Clips()) } : parsed;
	},
} as unknown as z.ZodMiniType<unknown>;

/** Errors too (the fingerprint is filled in afterwards, from the row's message and stack). */
const fastError: FastPath<unknown> = (body) => fastErrorRow(body, P);
const ErrorRows = {
	safeParse(body: unknown) {
		const parsed = ErrorBody.safeParse(body);
		return parsed.success ? { ...parsed, data: errorRow(parsed.data, "", P, new Clips()) } : parsed;
	},
} as unknown as z.ZodMiniType<unknown>;

const ROUTES: Route[] = [
	{ name: "logs", fast: fastLogs, schema: LogsRows, shape: LOGS },
	{ name: "errors", fast: fastError, schema: ErrorRows, shape: ERROR },
	{ name: "spans", fast: fastSpan, schema: SpanBody, shape: SPAN },
	{ name: "llm", fast: fastLlm, schema: LlmBody, shape: LLM },
];

/** Soundness on one input: a fast answer is zod's answer. Returns both for further assertions. */
function agree(route: Pick<Route, "fast" | "schema">, body: unknown) {
	const quick = route.fast(body);
	const parsed = route.schema.safeParse(body);
	if (quick !== undefined) {
		expect(parsed.success, `zod refuses what the fast path accepted: ${parsed.error?.message}`).toBe(true);
		expect(quick).toEqual(parsed.data);
	}
	return { quick, parsed };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number) => (m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Strings of the given UTF-16 length, astral characters included: the fast path measures UTF-16 units, zod's maxLength
 * code points (an astral character is two units, one code point), so these are within both bounds or past both.
 */
const xs = (n: number) => "x".repeat(n);
const astral = (n: number) => "😀".repeat(Math.floor(n / 2)) + xs(n % 2);

/**
 * An object nested `levels` deep as LIMITS.objectDepth counts (the innermost value is a level too); with
 * `arrays`, every other level is an array.
 */
function nested(levels: number, arrays = false): Record<string, unknown> {
	let value: unknown = 1;
	for (let level = levels - 1; level >= 1; level--) value = arrays && level % 2 === 0 ? [value] : { a: value };
	return value as Record<string, unknown>;
}

/** An object whose JSON text is exactly `chars` long. */
const sized = (chars: number) => ({ a: xs(chars - '{"a":""}'.length) });

const YEARS = fc.oneof(
	fc.integer({ min: 1900, max: 2299 }),
	fc.constantFrom(1900, 1901, 1904, 2000, 2096, 2100, 2200, 2204, 2298, 2299),
);

/** What toISOString sends: YYYY-MM-DDThh:mm:ss.sssZ, inside 1900-2299. */
const canonicalTimestamp = fc.oneof(
	{ weight: 4, arbitrary: fc.integer({ min: MIN_TIME, max: MAX_TIME }).map(iso) },
	{
		weight: 1,
		arbitrary: fc
			.tuple(YEARS, fc.nat(86_400_000 - 1))
			.filter(([y]) => isLeap(y))
			.map(([y, ms]) => iso(Date.UTC(y, 1, 29) + ms)),
	},
	{
		weight: 1,
		arbitrary: fc
			.constantFrom(MIN_TIME, MAX_TIME, Date.UTC(2000, 1, 29), Date.UTC(1999, 11, 31, 23, 59, 59, 999))
			.map(iso),
	},
);

type TimestampField = Extract<Field, { kind: "timestamp" }>;

/** Z, and with `offset` every ±hh:mm. */
const zone = (offset: boolean) =>
	offset
		? fc.oneof(
				fc.constant("Z"),
				fc
					.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
					.map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`),
			)
		: fc.constant("Z");

/** Any precision (null): none or 1-9 fraction digits; else exactly that many. */
const fraction = (precision: number | null) =>
	fc
		.tuple(
			precision === null ? fc.integer({ min: 0, max: 9 }) : fc.constant(precision),
			fc.integer({ min: 0, max: 999_999_999 }),
		)
		.map(([n, v]) => (n === 0 ? "" : `.${pad(v, 9).slice(0, n)}`));

/** Every form zod's pattern takes for the field (its offsets and fraction digits), on real calendar days; some fall outside 1900-2299 once the offset applies. */
const otherTimestamp = (field: TimestampField) =>
	fc
		.record({
			year: YEARS,
			month: fc.integer({ min: 1, max: 12 }),
			day: fc.integer({ min: 1, max: 31 }),
			hour: fc.integer({ min: 0, max: 23 }),
			minute: fc.integer({ min: 0, max: 59 }),
			second: fc.integer({ min: 0, max: 59 }),
			fraction: fraction(field.precision),
			zone: zone(field.offset),
		})
		.map(
			(t) =>
				`${pad(t.year, 4)}-${pad(t.month)}-${pad(Math.min(t.day, daysIn(t.year, t.month)))}T${pad(t.hour)}:` +
				`${pad(t.minute)}:${pad(t.second)}${t.fraction}${t.zone}`,
		);

/** Which timestamps valid bodies carry: only the canonical form (coverage), or every form (soundness). */
type Timestamps = "canonical" | "any";

const timestamps = (field: TimestampField, forms: Timestamps) =>
	forms === "canonical" ? canonicalTimestamp : fc.oneof(canonicalTimestamp, otherTimestamp(field));

const INVALID_TIMESTAMPS = [
	"1900-02-29T00:00:00.000Z",
	"2100-02-29T00:00:00.000Z",
	"2200-02-29T12:00:00.000Z",
	"2023-02-29T12:00:00.000Z",
	"2024-02-30T00:00:00.000Z",
	"2024-04-31T00:00:00.000Z",
	"2024-13-01T00:00:00.000Z",
	"2024-00-10T00:00:00.000Z",
	"2024-01-00T00:00:00.000Z",
	"2024-01-32T00:00:00.000Z",
	"2024-01-01T24:00:00.000Z",
	"2024-01-01T23:60:00.000Z",
	"2024-01-01T23:59:60.000Z",
	"2024-01-01T00:00:00.000",
	"2024-01-01T00:00:00",
	"2024-01-01T00:00:00.000z",
	"2024-01-01t00:00:00.000Z",
	"2024-01-01 00:00:00.000Z",
	"2024-01-01T00:00Z",
	"2024-01-01T00:00:00.Z",
	"2024-01-01T00:00:00,000Z",
	"2024-01-01T00:00:00:000Z",
	"2024-01-01T00-00-00.000Z",
	"2024-01-01T00:00:00.0a0Z",
	"2024-01-01T0a:00:00.000Z",
	"2024-01-01T00:00:00.000+",
	"2024-01-01T00:00:00.000+0530",
	"2024-01-01T00:00:00.000+05",
	"2024-01-01T00:00:00.000+24:00",
	"2024-01-01T00:00:00.000+05:60",
	"2024-01-01",
	"2024/01/01T00:00:00.000Z",
	" 2024-01-01T00:00:00.000Z",
	"2024-01-01T00:00:00.000Z\n",
	"２０２４-01-01T00:00:00.000Z",
	"+002024-01-01T00:00:00.000Z",
	"-002024-01-01T00:00:00.000Z",
	"1899-12-31T23:59:59.999Z",
	"2300-01-01T00:00:00.000Z",
	"0050-01-01T00:00:00.000Z",
	"0000-01-01T00:00:00.000Z",
	"9999-12-31T23:59:59.999Z",
	"1900-01-01T00:00:00.000+00:01",
	"1900-01-01T05:29:59.999+05:30",
	"2299-12-31T23:59:59.999-00:01",
	"Mon, 01 Jan 2024 00:00:00 GMT",
	"",
];

/** Near misses of the canonical form: each field anywhere in 0..99 (0..9999 for years), in the canonical layout. */
const outOfRangeTimestamp = fc
	.tuple(
		fc.integer({ min: 0, max: 9999 }),
		fc.integer({ min: 0, max: 19 }),
		fc.integer({ min: 0, max: 39 }),
		fc.integer({ min: 0, max: 29 }),
		fc.integer({ min: 0, max: 69 }),
		fc.integer({ min: 0, max: 69 }),
		fc.integer({ min: 0, max: 999 }),
	)
	.map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}Z`);

/** A canonical timestamp with one character replaced, deleted or added. */
const garbledTimestamp = fc
	.tuple(canonicalTimestamp, fc.nat(24), fc.constantFrom(..."0123456789-:.TZtz /+\u0660"), fc.nat(2))
	.map(([s, i, c, edit]) => s.slice(0, i) + (edit === 2 ? "" : c) + s.slice(edit === 1 ? i : i + 1));

/** Canonical timestamps just outside MIN_TIME..MAX_TIME: a millisecond to a year before or after. */
const pastRangeTimestamp = fc
	.tuple(fc.boolean(), fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 366 * 86_400_000 })))
	.map(([before, ms]) => iso(before ? MIN_TIME - ms : MAX_TIME + ms));

const invalidTimestamp = fc.oneof(
	fc.constantFrom(...INVALID_TIMESTAMPS),
	pastRangeTimestamp,
	outOfRangeTimestamp,
	garbledTimestamp,
	fc.constantFrom(Date.UTC(2026, 0, 1), 0, "1704067200000"),
);

const boundedText = (max: number) =>
	fc.oneof(
		{ weight: 8, arbitrary: fc.string({ maxLength: 12, unit: "binary" }) },
		{ weight: 1, arbitrary: fc.constantFrom(0, max - 1, max).map(xs) },
		{ weight: 1, arbitrary: fc.constantFrom(max - 1, max).map(astral) },
	);

/** Numbers within [min, max] (counts and costs): integers, fractions, halves (rounding), the bounds, -0. */
function numberIn(min: number, max: number): fc.Arbitrary<number> {
	const inside = (v: number) => v >= min && v <= max;
	return fc.oneof(
		fc.integer({ min: Math.ceil(min), max: Math.min(Math.floor(max), 0x7fffffff) }),
		fc.double({ min, max: Math.min(max, min + 100), noNaN: true }),
		fc.double({ min, max: Math.min(max, 1e7), noNaN: true }),
		fc.double({ min, max, noNaN: true }),
		fc.constantFrom(
			...[min, max, 0, -0, 0.5, 1.5, 2.5, 1e-300, Number.MIN_VALUE, max - 0.5, Number.MAX_SAFE_INTEGER].filter(inside),
		),
	);
}

/** Plain objects as JSON.parse makes them. An own "__proto__" key is the one shape left out: see the mutations. */
const metadata = fc.oneof(
	{
		weight: 10,
		arbitrary: fc
			.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6, noNullPrototype: true })
			.filter((o) => !Object.hasOwn(o, "__proto__")),
	},
	{
		weight: 1,
		arbitrary: fc.constantFrom(
			{},
			nested(LIMITS.objectDepth),
			nested(LIMITS.objectDepth, true),
			sized(LIMITS.objectBytes),
			JSON.parse('{"a":{"__proto__":{"b":1}}}'),
		),
	},
);

type Body = Record<string, unknown>;

/**
 * Which valid bodies: within every bound of ours (what the fast path takes whole: coverage), or beyond them too
 * (valid by the contract, clipped by the rows: soundness).
 */
type Bounds = "within" | "beyond";

/** Strings past a clip bound, astral characters included (clipped on a code point). */
const pastClip = (clip: number) =>
	fc.oneof(fc.constantFrom(clip + 1, clip + 2).map(xs), fc.constantFrom(clip + 1, clip + 2).map(astral));

/** Objects past the depth or size bound: valid, reduced by the rows. */
const pastObjectBounds = fc.constantFrom(
	nested(LIMITS.objectDepth + 1),
	nested(LIMITS.objectDepth + 1, true),
	sized(LIMITS.objectBytes + 1),
	{ a: astral(LIMITS.objectBytes) },
);

function validValue(field: Field, forms: Timestamps, b: Bounds): fc.Arbitrary<unknown> {
	const beyond = <T>(within: fc.Arbitrary<T>, past: fc.Arbitrary<T>) =>
		b === "within" ? within : fc.oneof({ weight: 6, arbitrary: within }, { weight: 1, arbitrary: past });
	switch (field.kind) {
		case "string":
			if (field.max !== undefined) return boundedText(field.max);
			return beyond(boundedText(field.clip as number), pastClip(field.clip as number));
		case "enum":
			return fc.constantFrom(...field.values);
		case "timestamp":
			return beyond(timestamps(field, forms), pastRangeTimestamp);
		case "number": {
			const top = field.max ?? (field.clip as number);
			if (field.max !== undefined) return numberIn(field.min, top);
			return beyond(numberIn(field.min, top), fc.constantFrom(top + 1, top * 2, 1e300));
		}
		case "object":
			return beyond(metadata, pastObjectBounds);
		case "list": {
			const top = field.max ?? (field.clip as number);
			const items = fc.array(validBody(field.of, forms, b), { minLength: field.min, maxLength: Math.min(top, 4) });
			if (field.max !== undefined) return items;
			return beyond(items, fc.constant(Array(top + 1).fill(minimalBody(field.of))));
		}
	}
}

/** Valid bodies of a shape: each optional or defaulted field present or absent, unknown fields sometimes. */
function validBody(shape: Shape, forms: Timestamps, b: Bounds): fc.Arbitrary<Body> {
	const model: Record<string, fc.Arbitrary<unknown>> = {};
	for (const [key, field] of Object.entries(shape.fields)) model[key] = validValue(field, forms, b);
	return fc
		.tuple(fc.record(model, { requiredKeys: [...shape.required] }), fc.option(fc.jsonValue({ maxDepth: 1 })))
		.map(([body, extra]) => (extra === null ? body : { ...body, unknown_field: extra }));
}

/** A valid body of only the required fields at simple values; lists (all of them `withLists`) hold one item. */
function minimalBody(shape: Shape, withLists = false): Body {
	const body: Body = {};
	for (const [key, field] of Object.entries(shape.fields)) {
		if (field.kind === "list" && withLists) body[key] = [minimalBody(field.of, withLists)];
		else if (shape.required.includes(key)) body[key] = simpleValue(field);
	}
	return body;
}

function simpleValue(field: Field): unknown {
	switch (field.kind) {
		case "string":
			return "m";
		case "enum":
			return field.values[0];
		case "number":
			return field.min;
		case "timestamp":
			return "2026-01-01T00:00:00.000Z";
		case "object":
			return {};
		case "list":
			return Array(Math.max(field.min, 1)).fill(minimalBody(field.of));
	}
}

/** Values of a field zod must take and must refuse: the contract's bounds and just past them; past ours it takes. */
function atBounds(field: Field): { takes: unknown[]; refuses: unknown[] } {
	switch (field.kind) {
		case "string":
			if (field.max !== undefined)
				return { takes: [xs(field.max), astral(field.max)], refuses: [xs(field.max + 1), "😀".repeat(field.max + 1)] };
			return {
				takes: [xs(field.clip as number), xs((field.clip as number) + 1), astral((field.clip as number) + 2)],
				refuses: [],
			};
		case "enum":
			return { takes: [...field.values], refuses: ["not-one-of-them"] };
		case "number":
			if (field.max !== undefined) return { takes: [field.min, field.max], refuses: [field.min - 1e-9, field.max + 1] };
			return { takes: [field.min, field.clip, (field.clip as number) + 1, 1e300], refuses: [field.min - 1e-9] };
		case "timestamp": {
			const digits =
				field.precision === null ? ".123456789" : field.precision > 0 ? `.${"1".repeat(field.precision)}` : "";
			const offsetForm = `2026-01-01T00:00:00${digits}+05:30`;
			// Outside 1900-2299 the time is still ISO 8601: taken, and stored at the range's nearest end.
			const all = [iso(MIN_TIME), iso(MAX_TIME), iso(MIN_TIME - 1), iso(MAX_TIME + 1), `2026-01-01T00:00:00${digits}Z`];
			return { takes: [...all, ...(field.offset ? [offsetForm] : [])], refuses: field.offset ? [] : [offsetForm] };
		}
		case "object":
			return {
				takes: [
					nested(LIMITS.objectDepth),
					sized(LIMITS.objectBytes),
					nested(LIMITS.objectDepth + 1),
					sized(LIMITS.objectBytes + 1),
				],
				refuses: [[], "{}"],
			};
		case "list": {
			const item = minimalBody(field.of);
			const top = field.max ?? (field.clip as number) + 1;
			return {
				takes: [Array(field.min).fill(item), Array(top).fill(item)],
				refuses: [
					...(field.max !== undefined ? [Array(field.max + 1).fill(item)] : []),
					...(field.min > 0 ? [Array(field.min - 1).fill(item)] : []),
				],
			};
		}
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

const REMOVE = Symbol("remove");

const wrongType = fc.oneof(
	fc.constantFrom(null, true, false, 0, 1, -1, "", "x", [], {}, ["x"], { a: 1 }),
	fc.jsonValue({ maxDepth: 2 }),
);

const PROTO_KEY = '{"__proto__":{"a":1}}';

function invalidValue(field: Field): fc.Arbitrary<unknown> {
	switch (field.kind) {
		case "string": {
			const top = field.max ?? (field.clip as number);
			return fc.constantFrom(xs(top + 1), astral(top + 1), astral(top + 2), xs(top), 42);
		}
		case "enum":
			return fc.constantFrom(
				...field.values.flatMap((v) => [v.toUpperCase(), v[0]?.toUpperCase() + v.slice(1), ` ${v}`, `${v}\u0000`]),
				"fatal",
				"warning",
				"",
			);
		case "timestamp":
			return invalidTimestamp;
		case "number": {
			// Just past each bound (and -0.4, which rounds to 0 but is checked before rounding), non-finite, strings.
			const { min } = field;
			const max = field.max ?? (field.clip as number);
			const outside = [
				min - 1,
				min - 0.5,
				min - 0.4,
				min - 1e-9,
				-Number.MIN_VALUE,
				-1,
				max + 1,
				max + 2,
				max + 0.5,
				max * (1 + Number.EPSILON),
				1e16,
				1e21,
				Number.MAX_VALUE,
				JSON.parse("1e309"),
				-Infinity,
				Number.NaN,
			].filter((v) => !(v >= min && v <= max));
			return fc.oneof(fc.constantFrom(...outside, "0", "1", "NaN", "Infinity"), fc.double());
		}
		case "object":
			return fc.constantFrom(
				JSON.parse(PROTO_KEY),
				JSON.parse('{"__proto__":null,"b":2}'),
				nested(LIMITS.objectDepth + 1),
				nested(LIMITS.objectDepth + 1, true),
				nested(1000),
				sized(LIMITS.objectBytes + 1),
				{ a: astral(LIMITS.objectBytes) },
				{ a: "\u0000".repeat(LIMITS.objectBytes / 6) },
				[],
				[{ a: 1 }],
				"{}",
				Object.create(null),
			);
		case "list": {
			const item = minimalBody(field.of);
			const top = field.max ?? (field.clip as number);
			return fc.constantFrom(
				[],
				Array(top).fill(item),
				Array(top + 1).fill(item),
				[null],
				[[]],
				[item, "x"],
				{ 0: item, length: 1 },
				JSON.stringify([item]),
			);
		}
	}
}

type Path = readonly (string | number)[];

/** Every field of the body, present or not, down into the first list items. */
function fieldsOf(body: Body, shape: Shape, at: Path = []): { path: Path; field: Field }[] {
	const out: { path: Path; field: Field }[] = [];
	for (const [key, field] of Object.entries(shape.fields)) {
		out.push({ path: [...at, key], field });
		const items = body[key];
		if (field.kind === "list" && Array.isArray(items)) {
			items.slice(0, 3).forEach((item: Body, i) => {
				out.push(...fieldsOf(item, field.of, [...at, key, i]));
			});
		}
	}
	return out;
}

/** A copy of `value` with the field at `path` set or removed; copies share everything off the path. */
function edited(value: unknown, path: Path, next: unknown): unknown {
	const [step, ...rest] = path;
	if (step === undefined || value === null || typeof value !== "object") return value;
	const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string | number, unknown>;
	const inner = rest.length === 0 ? next : edited(copy[step], rest, next);
	if (inner === REMOVE) delete copy[step];
	else copy[step] = inner;
	return copy;
}

/** Valid bodies with one to three fields removed, retyped, or pushed just past the contract. */
function mutatedBody(shape: Shape): fc.Arbitrary<unknown> {
	return validBody(shape, "any", "beyond").chain((body) => {
		const change = fc
			.constantFrom(...fieldsOf(body, shape))
			.chain(({ path, field }) =>
				fc.oneof(fc.constant(REMOVE), wrongType, invalidValue(field)).map((value) => ({ path, value })),
			);
		return fc.oneof(
			{
				weight: 30,
				arbitrary: fc
					.array(change, { minLength: 1, maxLength: 3 })
					.map((changes) => changes.reduce<unknown>((b, c) => edited(b, c.path, c.value), body)),
			},
			{ weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], "{}", 0, [body]) },
		);
	});
}

/** The schema's keys holding arbitrary JSON (a plain fc.jsonValue seldom hits a field name). */
function looseBody(shape: Shape): fc.Arbitrary<Body> {
	const model: Record<string, fc.Arbitrary<unknown>> = {};
	for (const [key, field] of Object.entries(shape.fields)) {
		model[key] =
			field.kind === "list"
				? fc.array(looseBody(field.of), { maxLength: 3 })
				: fc.oneof(validValue(field, "any", "beyond"), fc.jsonValue({ maxDepth: 2 }));
	}
	return fc.record(model, { requiredKeys: [] });
}

// ---------------------------------------------------------------------------------------------------------------

const LLM_MINIMAL = { model: "m", provider: "p", operation: "o", input_tokens: 1, output_tokens: 1, latency_ms: 1 };

describe("fast path examples", () => {
	it("accepts a canonical logs body with exactly the schema's output", () => {
		const body = {
			release: "1.2.3",
			logs: [
				{
					level: "info",
					message: "user signed in",
					timestamp: "2026-02-23T10:15:30.123Z",
					metadata: { user: "u1", n: 1 },
					trace_id: "t1",
				},
				{ level: "error", message: "boom", unknown: true },
			],
			sdk: "stripped",
		};
		const expected = {
			service: "unknown",
			environment: "production",
			release: "1.2.3",
			logs: [
				{
					level: "info",
					message: "user signed in",
					timestamp: Date.UTC(2026, 1, 23, 10, 15, 30, 123),
					metadata: { user: "u1", n: 1 },
					trace_id: "t1",
				},
				{ level: "error", message: "boom" },
			],
		};
		expect(LogsBody.parse(body)).toEqual(expected);
		const rows = logRows(expected as z.output<typeof LogsBody>, P, new Clips());
		expect(fastLogs(body)).toEqual(rows);
		expect(rows[0]).toMatchObject({ metadata: '{"user":"u1","n":1}', truncated: [], sdk: "core/0.8.3" });
	});

	it("applies the defaults and the rounding of errors, spans and LLM calls as zod does", () => {
		const error = {
			error_message: "TypeError: x",
			stack_trace: "at f (a.ts:1:2)",
			breadcrumbs: [{ type: "http", message: "GET /", timestamp: "2026-02-23T10:15:29.000Z" }],
		};
		const span = {
			service: "api",
			trace_id: "t",
			span_id: "s",
			operation: "db.query",
			start_time: "2026-02-23T10:15:30.123Z",
			duration_ms: 12.5,
		};
		const llm = {
			model: "gpt-4o",
			provider: "openai",
			operation: "chat",
			input_tokens: 100,
			output_tokens: 20,
			latency_ms: 340.4,
			metadata: {},
		};
		const cases = [
			{
				route: { fast: fastSpan, schema: SpanBody },
				body: span,
				expected: {
					service: "api",
					environment: "production",
					trace_id: "t",
					span_id: "s",
					parent_span_id: "",
					operation: "db.query",
					start_time: Date.UTC(2026, 1, 23, 10, 15, 30, 123),
					duration_ms: 13,
					status: "ok",
				},
			},
			{
				route: { fast: fastLlm, schema: LlmBody },
				body: llm,
				expected: {
					service: "unknown",
					environment: "production",
					model: "gpt-4o",
					provider: "openai",
					operation: "chat",
					input_tokens: 100,
					output_tokens: 20,
					cost_usd: 0,
					latency_ms: 340,
					metadata: {},
				},
			},
		];
		for (const { route, body, expected } of cases) {
			expect(route.fast(body)).toEqual(expected);
			expect(route.schema.parse(body)).toEqual(expected);
		}
		const errorPayload = {
			service: "unknown",
			environment: "production",
			error_message: "TypeError: x",
			stack_trace: "at f (a.ts:1:2)",
			severity: "medium",
			breadcrumbs: [{ type: "http", message: "GET /", timestamp: Date.UTC(2026, 1, 23, 10, 15, 29) }],
		} satisfies z.output<typeof ErrorBody>;
		expect(ErrorBody.parse(error)).toEqual(errorPayload);
		const row = fastError(error) as Record<string, unknown>;
		expect(row).toEqual(errorRow(errorPayload, "", P, new Clips()));
		expect(row.breadcrumbs).toBe('[{"type":"http","message":"GET /","timestamp":"2026-02-23T10:15:29.000Z"}]');
	});

	const span = (start_time: unknown, rest: Body = {}) => ({
		trace_id: "t",
		span_id: "s",
		operation: "o",
		start_time,
		duration_ms: 1,
		...rest,
	});
	const spans = { fast: fastSpan, schema: SpanBody };

	it.each([
		["2100-02-29T00:00:00.000Z"],
		["1900-02-29T00:00:00.000Z"],
		["2023-02-29T12:00:00.000Z"],
		["2024-13-01T00:00:00.000Z"],
		["2024-01-01T24:00:00.000Z"],
		["2024-01-01T23:59:60.000Z"],
		["2024-01-01T00:00:00.000"],
		["2024-01-01T00:00:00.000z"],
	])("refuses the timestamp %s on both paths", (timestamp) => {
		expect(fastSpan(span(timestamp))).toBeUndefined();
		expect(SpanBody.safeParse(span(timestamp)).success).toBe(false);
	});

	it.each([
		["1899-12-31T23:59:59.999Z", MIN_TIME],
		["2300-01-01T00:00:00.000Z", MAX_TIME],
		["0050-01-01T00:00:00.000Z", MIN_TIME],
		["1900-01-01T05:29:59.999+05:30", MIN_TIME],
	])("takes the ISO time %s outside 1900-2299 on zod's path, stored at the range's end", (timestamp, stored) => {
		expect(fastSpan(span(timestamp))).toBeUndefined();
		const parsed = SpanBody.parse(span(timestamp));
		const c = new Clips();
		expect(spanRow(parsed, P, c)).toMatchObject({ start_time: clickhouseTime(stored), truncated: ["start_time"] });
	});

	it.each([
		["2000-02-29T00:00:00.000Z", Date.UTC(2000, 1, 29)],
		["2096-02-29T23:59:59.999Z", Date.UTC(2096, 1, 29, 23, 59, 59, 999)],
		["1900-01-01T00:00:00.000Z", MIN_TIME],
		["2299-12-31T23:59:59.999Z", MAX_TIME],
	])("accepts the canonical timestamp %s on the fast path", (timestamp, ms) => {
		expect(fastSpan(span(timestamp))?.start_time).toBe(ms);
		expect(SpanBody.parse(span(timestamp)).start_time).toBe(ms);
	});

	it.each([
		["2026-02-23T15:45:30+05:30", Date.UTC(2026, 1, 23, 10, 15, 30)],
		["2026-02-23T10:15:30Z", Date.UTC(2026, 1, 23, 10, 15, 30)],
		["2026-02-23T10:15:30.1Z", Date.UTC(2026, 1, 23, 10, 15, 30, 100)],
		["2026-02-23T10:15:30.123456789Z", Date.UTC(2026, 1, 23, 10, 15, 30, 123)],
		["2300-01-01T05:29:59.999+05:30", MAX_TIME],
		["1899-12-31T23:00:00-01:00", MIN_TIME],
	])("reads the other form %s as zod does", (timestamp, ms) => {
		const { parsed } = agree(spans, span(timestamp));
		expect(parsed.data).toMatchObject({ start_time: ms });
	});

	it("refuses what JSON turns into Infinity and negatives, clips counts past the safe integers, rounds the rest", () => {
		for (const duration_ms of [JSON.parse("1e309"), -1, -0.4, Number.NaN]) {
			expect(fastSpan(span("2026-01-01T00:00:00.000Z", { duration_ms }))).toBeUndefined();
			expect(SpanBody.safeParse(span("2026-01-01T00:00:00.000Z", { duration_ms })).success).toBe(false);
		}
		const huge = span("2026-01-01T00:00:00.000Z", { duration_ms: Number.MAX_SAFE_INTEGER + 2 });
		expect(fastSpan(huge)).toBeUndefined();
		expect(spanRow(SpanBody.parse(huge), P, new Clips())).toMatchObject({
			duration_ms: MAX_COUNT,
			truncated: ["duration_ms"],
		});
		for (const [duration_ms, rounded] of [
			[2.5, 3],
			[0.49, 0],
			[Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
		]) {
			expect(fastSpan(span("2026-01-01T00:00:00.000Z", { duration_ms }))?.duration_ms).toBe(rounded);
		}
		expect(fastLlm({ ...LLM_MINIMAL, cost_usd: MAX_COST })?.cost_usd).toBe(MAX_COST);
		const costly = agree({ fast: fastLlm, schema: LlmBody }, { ...LLM_MINIMAL, cost_usd: MAX_COST * 2 });
		expect(costly.quick).toBeUndefined();
		expect(llmRow(costly.parsed.data as z.output<typeof LlmBody>, P, new Clips())).toMatchObject({
			cost_usd: MAX_COST,
			truncated: ["cost_usd"],
		});
	});

	it("takes metadata of any size and depth (the row reduces it), refuses what is no object, leaves __proto__ to zod", () => {
		const withMetadata = (metadata: unknown) => span("2026-01-01T00:00:00.000Z", { metadata });
		expect(JSON.stringify(sized(LIMITS.objectBytes)).length).toBe(LIMITS.objectBytes);
		for (const metadata of [nested(LIMITS.objectDepth), nested(LIMITS.objectDepth, true), sized(LIMITS.objectBytes)]) {
			expect(fastSpan(withMetadata(metadata))?.metadata).toEqual(metadata);
			expect(spanRow(SpanBody.parse(withMetadata(metadata)), P, new Clips())).toMatchObject({
				metadata: JSON.stringify(metadata),
				truncated: [],
			});
		}
		for (const metadata of [
			nested(LIMITS.objectDepth + 1),
			nested(LIMITS.objectDepth + 1, true),
			sized(LIMITS.objectBytes + 1),
		]) {
			const row = spanRow(SpanBody.parse(withMetadata(metadata)), P, new Clips());
			expect(row.truncated).toEqual(["metadata"]);
			expect(row.metadata.length).toBeLessThanOrEqual(LIMITS.objectBytes);
		}
		for (const metadata of [[], [{ a: 1 }], "{}"]) {
			expect(fastSpan(withMetadata(metadata))).toBeUndefined();
			expect(SpanBody.safeParse(withMetadata(metadata)).success).toBe(false);
		}
		// zod's record drops the key; the fast path may defer, but never keep it.
		const { parsed } = agree(spans, withMetadata(JSON.parse('{"__proto__":{"a":1},"b":2}')));
		expect(parsed.data).toMatchObject({ metadata: { b: 2 } });
	});

	it("bounds the logs and breadcrumbs arrays", () => {
		const entry = { level: "info", message: "m" };
		expect(fastLogs({ logs: Array(LIMITS.logsPerRequest).fill(entry) })).toHaveLength(LIMITS.logsPerRequest);
		for (const logs of [[], Array(LIMITS.logsPerRequest + 1).fill(entry)]) {
			expect(fastLogs({ logs })).toBeUndefined();
			expect(LogsBody.safeParse({ logs }).success).toBe(false);
		}
		const crumb = { type: "t", message: "m", timestamp: "2026-01-01T00:00:00.000Z" };
		const error = (breadcrumbs: unknown[]) => ({ error_message: "e", stack_trace: "s", breadcrumbs });
		const kept = (fastError(error(Array(LIMITS.breadcrumbs).fill(crumb))) as { breadcrumbs: string }).breadcrumbs;
		expect(JSON.parse(kept)).toHaveLength(LIMITS.breadcrumbs);
		// Past the bound: zod's path keeps the most recent, and says so.
		const many = Array.from({ length: LIMITS.breadcrumbs + 5 }, (_, i) => ({ ...crumb, message: `m${i}` }));
		expect(fastError(error(many))).toBeUndefined();
		const row = errorRow(ErrorBody.parse(error(many)), "", P, new Clips());
		const stored = JSON.parse(row.breadcrumbs) as { message: string }[];
		expect([stored.length, stored[0]?.message, stored.at(-1)?.message]).toEqual([
			LIMITS.breadcrumbs,
			"m5",
			`m${LIMITS.breadcrumbs + 4}`,
		]);
		expect(row.truncated).toEqual(["breadcrumbs"]);
	});

	it("generates from the schemas' own kinds and bounds, each of which zod holds to", () => {
		let checked = 0;
		for (const route of ROUTES) {
			const base = minimalBody(route.shape, true);
			expect(route.schema.safeParse(base).success, `${route.name}: ${JSON.stringify(base)}`).toBe(true);
			for (const { path, field } of fieldsOf(base, route.shape)) {
				const { takes, refuses } = atBounds(field);
				const at = (v: unknown) =>
					`${route.name}.${path.join(".")} = ${JSON.stringify(v)?.slice(0, 60).toWellFormed()}`;
				for (const v of takes) expect(route.schema.safeParse(edited(base, path, v)).success, at(v)).toBe(true);
				for (const v of refuses) expect(route.schema.safeParse(edited(base, path, v)).success, at(v)).toBe(false);
				checked++;
			}
		}
		expect(checked).toBeGreaterThan(40);
	});

	it("tests timestamps with the very pattern zod tests them with", () => {
		const zods = isoDatetime._zod.def.pattern as RegExp;
		expect([zods.source, zods.flags]).toEqual([ISO_DATETIME.source, ISO_DATETIME.flags]);
	});

	it("fails loudly on a schema it has no generator for", () => {
		expect(() => shapeOf(z.object({ ok: z.boolean() }))).toThrow(/body\.ok: no generator for a zod boolean/);
		expect(() => shapeOf(z.object({ n: z.number().check(z.gt(0), z.lte(1)) }))).toThrow(/greater_than \(exclusive\)/);
		expect(() => shapeOf(z.object({ s: z.string().check(z.regex(/x/)) }))).toThrow(/body\.s: no generator/);
		expect(shapeOf(z.object({ s: z.optional(z.string().check(z.maxLength(3))) }))).toEqual({
			fields: { s: { kind: "string", max: 3 } },
			required: [],
		});
	});
});

describe.each(ROUTES)("fast path of $name against zod", (route) => {
	it("accepts every valid body with canonical timestamps, with zod's output (coverage)", () => {
		fc.assert(
			fc.property(validBody(route.shape, "canonical", "within"), (body) => {
				const { quick, parsed } = agree(route, body);
				expect(parsed.success, parsed.error?.message).toBe(true);
				expect(quick).not.toBeUndefined();
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});

	it("answers as zod does for every timestamp form zod takes (soundness)", () => {
		fc.assert(
			fc.property(validBody(route.shape, "any", "beyond"), (body) => {
				agree(route, body);
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});

	it("never accepts a body zod refuses, nor differs from zod, when fields are removed, retyped or out of bounds", () => {
		fc.assert(
			fc.property(mutatedBody(route.shape), (body) => {
				agree(route, body);
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});

	it("stays sound on arbitrary JSON", () => {
		fc.assert(
			fc.property(fc.oneof(fc.jsonValue(), looseBody(route.shape)), (body) => {
				agree(route, body);
			}),
			{ numRuns: RUNS, seed: SEED },
		);
	});
});
