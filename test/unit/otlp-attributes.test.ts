import { describe, expect, it } from "vitest";
import {
	itemMetadata,
	MAX_ATTRIBUTES,
	MAX_SHARED_CHARS,
	members,
	sharedAllowance,
	sharedAttributes,
} from "../../src/otlp/attributes.ts";
import { type Attributes, emptyAttributes } from "../../src/otlp/model.ts";

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
