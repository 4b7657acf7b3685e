import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forEachDrainEntry } from "../../src/ingest/drain-parse.ts";
import { parseDrainBody } from "../../src/ingest/vercel.ts";
import { bytesParseWellFormed, parsesWellFormed } from "../../src/util/utf8.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The whole-text path, as the route runs it: null when the bytes are not UTF-8 or not a drain body. */
function wholeText(bytes: Uint8Array, ndjson: boolean): unknown[] | null {
	let text: string;
	try {
		text = decoder.decode(bytes);
	} catch {
		return null;
	}
	return parseDrainBody(text, ndjson);
}

function oneAtATime(bytes: Uint8Array, ndjson: boolean): unknown[] | null {
	const entries: unknown[] = [];
	const count = forEachDrainEntry(bytes, ndjson, (e) => entries.push(e));
	if (count === null) return null;
	expect(count).toBe(entries.length);
	return entries;
}

/** Whenever the entry-at-a-time reader answers, it answers what the whole-text path does. */
function agrees(bytes: Uint8Array, ndjson: boolean): unknown[] | null {
	const fast = oneAtATime(bytes, ndjson);
	if (fast !== null) expect(fast).toEqual(wholeText(bytes, ndjson));
	return fast;
}

const entry = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
const space = fc.constantFrom("", " ", "\n", "\r\n", "\t", "  \n ");

describe("drain bodies read one entry at a time", () => {
	it("reads regular JSON arrays (any spacing, any element) exactly as JSON.parse of the whole", () => {
		fc.assert(
			fc.property(
				fc.array(fc.oneof(entry, fc.jsonValue({ maxDepth: 2 })), { maxLength: 12 }),
				space,
				space,
				(items, a, b) => {
					const text = `${a}[${a}${items.map((i) => JSON.stringify(i)).join(`${b},${a}`)}${b}]${a}`;
					for (const ndjson of [false, true]) expect(agrees(encoder.encode(text), ndjson)).not.toBeNull();
				},
			),
			{ numRuns: 3000, seed: 11 },
		);
		// `},{` inside strings and nested arrays (a wrong cut must never pass for an entry), more often than the
		// reader tries such cuts, and an entry that is only `},{` text.
		const tricky = [
			{ m: "a},{b", n: [{ x: 1 }, { y: 2 }, { z: 3 }, { w: 4 }, { v: 5 }, { u: 6 }] },
			{ m: "},{},{},{},{},{" },
			{ deep: { list: [{}, {}, {}, {}, {}, {}, {}] } },
			{},
		];
		expect(agrees(encoder.encode(JSON.stringify(tricky)), false)).toEqual(tricky);
		// Pretty-printed, as some drains and hand-made batches are.
		const pretty = JSON.stringify([{ a: 'x\\"y', b: [1, { c: "]}" }] }, { d: null }], null, 2);
		expect(agrees(encoder.encode(pretty), false)).toHaveLength(2);
	});

	it("reads NDJSON of two or more lines exactly as the whole-text path does", () => {
		fc.assert(
			fc.property(
				fc.array(entry, { minLength: 2, maxLength: 10 }),
				fc.constantFrom("\n", "\r\n", "\n\n"),
				(items, nl) => {
					const text = items.map((i) => JSON.stringify(i)).join(nl);
					expect(agrees(encoder.encode(text), true)).not.toBeNull();
					expect(agrees(encoder.encode(text), false)).not.toBeNull();
				},
			),
			{ numRuns: 2000, seed: 12 },
		);
		// Typed NDJSON: a line that is not JSON is an entry of its own (refused later), as on the whole-text path.
		expect(agrees(encoder.encode('{"a":1}\nnot json\n{"b":2}'), true)).toEqual([{ a: 1 }, undefined, { b: 2 }]);
	});

	it("leaves every irregular body to the whole-text path: same answer whatever it is", () => {
		const irregular = [
			'{"a":1}', // one object
			'{\n  "a": 1\n}', // one pretty-printed object, untyped
			'\uFEFF[{"a":1}]', // byte order mark
			'[{"a":1},]',
			'[{"a":1}] x',
			'[{"a":1}',
			'[{"a":"unterminated}]',
			"[1 2]",
			"[\u00a0{}]",
			'[{"a":1}]\u00a0',
			"[]",
			"  []  ",
			"",
			"null",
			'"text"',
		];
		for (const text of irregular) for (const ndjson of [false, true]) agrees(encoder.encode(text), ndjson);
		// Invalid UTF-8 inside an element or between them: the whole-text path refuses it.
		for (const bytes of [
			Uint8Array.of(91, 123, 34, 97, 34, 58, 34, 0xff, 34, 125, 93),
			Uint8Array.of(91, 123, 125, 0xc3, 93),
			Uint8Array.of(123, 125, 10, 123, 34, 0xfe, 34, 58, 49, 125),
		]) {
			for (const ndjson of [false, true]) {
				expect(oneAtATime(bytes, ndjson)).toBeNull();
				expect(wholeText(bytes, ndjson)).toBeNull();
			}
		}
	});

	it("agrees with the whole-text path on mutated bodies (bytes cut, replaced, inserted)", () => {
		fc.assert(
			fc.property(
				fc.array(entry, { minLength: 1, maxLength: 6 }),
				fc.boolean(),
				fc.nat(),
				fc.integer({ min: 0, max: 255 }),
				fc.constantFrom("cut", "replace", "insert"),
				fc.boolean(),
				(items, asArray, at, byte, how, ndjson) => {
					const text = asArray ? JSON.stringify(items) : items.map((i) => JSON.stringify(i)).join("\n");
					const bytes = encoder.encode(text);
					const i = at % (bytes.length + 1);
					const mutated =
						how === "cut"
							? bytes.subarray(0, i)
							: how === "replace"
								? Uint8Array.from(bytes, (b, j) => (j === i ? byte : b))
								: Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)]);
					agrees(mutated, ndjson);
				},
			),
			{ numRuns: 5000, seed: 13 },
		);
	});

	it("finds lone-surrogate escapes in bytes as parsesWellFormed does in text", () => {
		fc.assert(
			fc.property(
				fc.array(fc.constantFrom("a", "\\", "u", "d", "D", "8", "f", "F", "0", "\\u", "\\ud8", "\\uDf"), {
					maxLength: 12,
				}),
				(parts) => {
					const text = parts.join("");
					expect(bytesParseWellFormed(encoder.encode(text))).toBe(parsesWellFormed(text));
				},
			),
			{ numRuns: 5000, seed: 14 },
		);
	});
});
