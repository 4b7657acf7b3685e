import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	itemMetadata,
	MAX_ATTRIBUTES,
	MAX_SHARED_CHARS,
	members,
	membersMetadata,
	sharedAllowance,
	sharedAttributes,
} from "../../src/otlp/attributes.ts";
import { type Attributes, type AttrValue, emptyAttributes } from "../../src/otlp/model.ts";

const attrs = (o: Record<string, unknown>): Attributes => Object.assign(emptyAttributes(), o);

describe("OTLP item metadata", () => {
	it("layers resource < scope < item < extra, each key once, in valid JSON", () => {
		const shared = sharedAttributes(
			members(attrs({ "service.name": "svc", a: 1, b: 1 })),
			attrs({ b: 2, c: 2 }),
			MAX_SHARED_CHARS,
		);
		const m = itemMetadata(shared, attrs({ c: 3, d: 3 }), attrs({ d: 4, "span.kind": "server" }));
		expect(m.clipped).toBe(false);
		const text = m.text;
		expect(JSON.parse(text)).toEqual({ "service.name": "svc", a: 1, b: 2, c: 3, d: 4, "span.kind": "server" });
		expect(text.match(/"c":/g)).toHaveLength(1);
	});

	it("keeps a __proto__ attribute as a plain key", () => {
		const source = JSON.parse('{"__proto__":"p"}') as Record<string, unknown>;
		const m = itemMetadata(sharedAttributes(members(emptyAttributes()), emptyAttributes(), 100), attrs(source), {});
		expect(m.text).toBe('{"__proto__":"p"}');
	});

	it("counts what it leaves out: over 128, too deep, over the allowance", () => {
		let deep: unknown = 1;
		for (let i = 0; i < 25; i++) deep = [deep];
		const many = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES + 10 }, (_, i) => [`k${i}`, i]));
		const shared = sharedAttributes(members(attrs({ big: "x".repeat(200), small: 1 })), emptyAttributes(), 50);
		const m = itemMetadata(shared, attrs({ ...many, deep }), {});
		const parsed = JSON.parse(m.text) as Record<string, unknown>;
		expect(parsed.small).toBe(1);
		expect(parsed.big).toBeUndefined();
		expect(parsed.deep).toBeUndefined();
		expect(parsed[`k${MAX_ATTRIBUTES - 1}`]).toBe(MAX_ATTRIBUTES - 1);
		expect(parsed[`k${MAX_ATTRIBUTES}`]).toBeUndefined();
		expect(parsed["otel.dropped_attributes_count"]).toBe(10 + 1 + 1);
	});

	it("reduces an item's metadata past 64 KB instead of refusing the item: the biggest values become the marker", () => {
		const shared = sharedAttributes(members(attrs({ "service.name": "svc" })), emptyAttributes(), MAX_SHARED_CHARS);
		const m = itemMetadata(shared, attrs({ prompt: "p".repeat(70_000), small: 1, other: "o".repeat(100) }), {});
		expect(m.clipped).toBe(true);
		expect(m.text.length).toBeLessThanOrEqual(64 * 1024);
		expect(JSON.parse(m.text)).toEqual({
			"service.name": "svc",
			prompt: "[truncated]",
			small: 1,
			other: "o".repeat(100),
		});
	});

	it("shares out the budget: per item at most 4 KB, in all at most 16x the body (256 KB to 8 MB)", () => {
		expect(sharedAllowance(1000, 1)).toBe(MAX_SHARED_CHARS);
		expect(sharedAllowance(200_000, 2000)).toBe(Math.floor((16 * 200_000) / 2000));
		expect(sharedAllowance(5_000_000, 100_000)).toBe(Math.floor((8 * 1024 * 1024) / 100_000));
	});
});

/** A value `levels` arrays deep: past LIMITS.objectDepth - 1, an attribute is dropped (and counted). */
function nestedValue(levels: number): AttrValue {
	let v: AttrValue = 1;
	for (let i = 0; i < levels; i++) v = [v];
	return v;
}

describe("an item's metadata in one JSON.stringify (the common case)", () => {
	const key = fc.oneof(
		fc.constantFrom(
			"a",
			"b",
			"service.name",
			"span.kind",
			"__proto__",
			"1",
			"0",
			"10",
			"",
			"otel.dropped_attributes_count",
		),
		fc.string({ maxLength: 6 }),
	);
	let value: fc.Arbitrary<AttrValue> = fc.oneof(
		fc.string({ maxLength: 8 }),
		fc.double(),
		fc.integer(),
		fc.boolean(),
		fc.constant(null),
	);
	value = fc.oneof(
		{ weight: 4, arbitrary: value },
		{ weight: 1, arbitrary: fc.array(value, { maxLength: 3 }) },
		{ weight: 1, arbitrary: fc.constantFrom<AttrValue>(nestedValue(19), nestedValue(20), { a: { b: 1 } }) },
	);
	const layer = (maxKeys: number) =>
		fc.array(fc.tuple(key, value), { maxLength: maxKeys }).map((entries) => {
			const a = emptyAttributes();
			for (const [k, v] of entries) a[k] = v;
			return a;
		});
	const many = fc.constant(
		attrs(Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES + 1 }, (_, i) => [`k${i}`, i]))),
	);

	it("is the text member by member gives, for every layering of resource, scope, item and extra", () => {
		fc.assert(
			fc.property(
				layer(4),
				layer(3),
				fc.oneof({ weight: 8, arbitrary: layer(5) }, { weight: 1, arbitrary: many }),
				fc.dictionary(fc.constantFrom("span.kind", "otel.status_description", "a"), value, { maxKeys: 2 }),
				fc.integer({ min: 0, max: 200 }),
				(resource, scope, item, extra, allowance) => {
					const shared = sharedAttributes(members(resource), scope, allowance);
					const extras = attrs(extra);
					expect(itemMetadata(shared, item, extras)).toEqual(membersMetadata(shared, item, extras));
				},
			),
			{ numRuns: Math.max(200, Number(env.FUZZ_RUNS)), seed: Number(env.FUZZ_SEED) },
		);
	});
});
