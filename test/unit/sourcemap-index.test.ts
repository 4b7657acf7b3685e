import { AnyMap, decodedMappings, originalPositionFor } from "@jridgewell/trace-mapping";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	buildIndex,
	INDEX_BUDGET_BYTES,
	INDEX_FACTOR,
	INDEX_SLACK_BYTES,
	readIndex,
} from "../../src/sourcemaps/index-format.ts";
import { join, MapScanner } from "../../src/sourcemaps/map-json.ts";
import { normaliseMapName } from "../../src/sourcemaps/names.ts";
import { mapNameFor } from "../../src/sourcemaps/resolve.ts";
import { vlq } from "../fixtures/synthetic-map.ts";
import fixtures from "../worker/fixtures/sourcemaps.json";

// The upload-time index must answer exactly what @jridgewell/trace-mapping answers for the same map, and cost
// (time, memory, stored bytes) no more than a small multiple of the map's own bytes whatever the map says.

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text);

async function built(map: object | string) {
	const result = await buildIndex(bytes(typeof map === "string" ? map : JSON.stringify(map)));
	if (!result.ok) throw new Error(result.reason);
	return result.index;
}

async function indexOf(map: object) {
	const index = readIndex((await built(map)).buffer);
	if (!index) throw new Error("unreadable index");
	return index;
}

async function refusal(map: object | string): Promise<string> {
	const result = await buildIndex(bytes(typeof map === "string" ? map : JSON.stringify(map)));
	if (result.ok) throw new Error("indexed");
	return result.reason;
}

async function expectSameAsTraceMapping(map: object, extraPositions: [number, number][] = []) {
	const index = await indexOf(map);
	const traced = new AnyMap(map as never);
	const positions: [number, number][] = [...extraPositions];
	decodedMappings(traced).forEach((segments, line) => {
		for (const s of segments) positions.push([line + 1, s[0]], [line + 1, s[0] + 1], [line + 1, Math.max(0, s[0] - 1)]);
	});
	for (const [line, column] of positions) {
		const expected = originalPositionFor(traced, { line, column });
		const actual = index.lookup(line, column + 1);
		if (expected.source === null) expect(actual, `${line}:${column}`).toBeNull();
		else
			expect(actual, `${line}:${column}`).toEqual({
				source: expected.source,
				line: expected.line,
				column: expected.column,
				name: expected.name,
			});
	}
	return positions.length;
}

describe("source map index", () => {
	it("answers like trace-mapping at every segment of both esbuild builds", async () => {
		for (const build of [fixtures.a, fixtures.b]) {
			for (const file of build.maps)
				expect(await expectSameAsTraceMapping(JSON.parse(file.content))).toBeGreaterThan(30);
		}
	});

	it("answers like trace-mapping on random maps: unsorted lines, equal columns, gaps, names, sourceless segments", async () => {
		const segment = fc.tuple(
			fc.nat(200),
			fc.option(fc.tuple(fc.nat(2), fc.nat(50), fc.nat(80), fc.option(fc.nat(3), { nil: undefined })), {
				nil: undefined,
			}),
		);
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.array(segment, { maxLength: 12 }), { minLength: 1, maxLength: 6 }),
				async (lines) => {
					const mappings = lines.map((segs) =>
						segs.map(([col, rest]) =>
							rest === undefined ? [col] : rest[3] === undefined ? [col, rest[0], rest[1], rest[2]] : [col, ...rest],
						),
					);
					const decoded = {
						version: 3 as const,
						sources: ["a.ts", "b.ts", "c.ts"],
						names: ["w", "x", "y", "z"],
						mappings,
					};
					// Encoded by the library (its own encoder, from the decoded form), then indexed from the string.
					const encoded = JSON.parse(JSON.stringify({ ...decoded, mappings: encode(mappings) }));
					await expectSameAsTraceMapping(encoded, [
						[1, 0],
						[lines.length + 1, 0],
						[1, 10_000],
					]);
				},
			),
			{ numRuns: 300, seed: 14 },
		);
	});

	it("flattens index maps (sections) as trace-mapping does: offsets, a shared line, cut where the next starts", async () => {
		const part = JSON.parse(fixtures.a.maps[0]?.content ?? "{}");
		const other = JSON.parse(fixtures.b.maps[0]?.content ?? "{}");
		expect(
			await expectSameAsTraceMapping({ version: 3, sections: [{ offset: { line: 2, column: 0 }, map: part }] }),
		).toBeGreaterThan(30);
		const sectioned = {
			version: 3,
			sections: [
				{ offset: { line: 0, column: 0 }, map: part },
				{ offset: { line: 0, column: 700 }, map: other }, // cuts the first section's only line at column 700
				{ offset: { line: 3, column: 5 }, map: { ...part, sourceRoot: "root" } },
			],
		};
		expect(await expectSameAsTraceMapping(sectioned)).toBeGreaterThan(60);
	});

	it("refuses what is not a version 3 map, and broken mappings", async () => {
		for (const bad of [
			"null",
			'"x"',
			"{}",
			{ version: 2, sources: [], mappings: "" },
			{ version: 3, mappings: "AAAA" },
		]) {
			expect(await refusal(bad)).toMatch(/source map/);
		}
		expect(await refusal({ version: 3, sources: ["a"], names: [], mappings: "A!AA" })).toMatch(/malformed/);
		expect(await refusal({ version: 3, sources: ["a"], names: [], mappings: "AEAA" })).toMatch(/source/); // 2 of 1
		expect(await refusal({ version: 3, sources: ["a"], names: [], mappings: "AAAAC" })).toMatch(/name/); // 1 of 0
		expect(await refusal({ version: 3, sources: ["a"], names: [], mappings: "AAAAg" })).toMatch(/malformed/); // cut
		expect(await refusal({ version: 3, sources: ["a"], names: [1], mappings: "AAAA" })).toMatch(/names/);
		const nested = { version: 3, sections: [{ offset: { line: 0, column: 0 }, map: { version: 3, sections: [] } }] };
		expect(await refusal(nested)).toMatch(/nested/);
		const unordered = {
			version: 3,
			sections: [
				{ offset: { line: 1, column: 0 }, map: { version: 3, sources: [], names: [], mappings: "" } },
				{ offset: { line: 0, column: 0 }, map: { version: 3, sources: [], names: [], mappings: "" } },
			],
		};
		expect(await refusal(unordered)).toMatch(/order/);
		expect(readIndex(new ArrayBuffer(64))).toBeNull();
	});
});

describe("the index is bounded by the map", () => {
	const bound = (map: string) => INDEX_FACTOR * bytes(map).byteLength + INDEX_SLACK_BYTES;

	it("refuses an index map whose few bytes of offsets would make millions of lines", async () => {
		const map = JSON.stringify({
			version: 3,
			sections: [
				{ offset: { line: 50_000_000, column: 0 }, map: { version: 3, sources: ["a"], names: [], mappings: "AAAA" } },
			],
		});
		expect(map.length).toBeLessThan(150);
		const started = performance.now();
		expect(await refusal(map)).toMatch(/index would exceed/);
		expect(performance.now() - started).toBeLessThan(500); // refused from the counts, nothing allocated
	});

	it("refuses a long sourceRoot before every source before resolving them", async () => {
		const map = JSON.stringify({
			version: 3,
			sourceRoot: "r".repeat(100_000),
			sources: Array.from({ length: 1000 }, (_, i) => `s${i}`),
			names: [],
			mappings: "AAAA",
		});
		expect(await refusal(map)).toMatch(/sourceRoot/);
	});

	it("refuses mappings of one-character segments (10 index bytes a byte) and keeps real maps far inside", async () => {
		const map = JSON.stringify({ version: 3, sources: ["a"], names: [], mappings: "A,".repeat(100_000) });
		expect(await refusal(map)).toMatch(/index would exceed/);
		for (const file of [...fixtures.a.maps, ...fixtures.b.maps]) {
			expect((await built(file.content)).byteLength).toBeLessThan(bound(file.content));
		}
	});

	it("never stores a lone surrogate: sources and names are made well-formed", async () => {
		const index = await indexOf({ version: 3, sources: ["a\ud800.ts"], names: ["x\udc00"], mappings: "AAAAA" });
		const position = index.lookup(1, 1);
		expect(position?.source.isWellFormed()).toBe(true);
		expect(position?.name?.isWellFormed()).toBe(true);
		expect(position).toMatchObject({ source: "a\ufffd.ts", name: "x\ufffd" });
	});

	it("repairs an index stored before that, on reading it", async () => {
		const index = await built({ version: 3, sources: ["a.ts"], names: ["abcdef"], mappings: "AAAAA" });
		const text = new TextDecoder().decode(index);
		const patched = bytes(text.replace('"abcdef"', '"\\ud800"'));
		expect(readIndex(patched.buffer as ArrayBuffer)?.lookup(1, 1)?.name).toBe("\ufffd");
	});

	it("refuses an index the isolate's cache could not hold", async () => {
		// 1.8 M segments of 5 characters: 9 MB of map, 36 MB of index.
		const map = `{"version":3,"sources":["a"],"names":[],"mappings":"${"AAAA,".repeat(1_800_000)}AAAA"}`;
		expect(await refusal(map)).toMatch(new RegExp(`exceed ${INDEX_BUDGET_BYTES / 1024 / 1024} MB`));
	});

	it("sorts a long unsorted line as trace-mapping does, without an object per segment", async () => {
		// 100,000 segments on one line, each a column before the last: sorted, they run backwards.
		const line = Array.from({ length: 100_000 }, (_, i) => [100_000 - i, 0, i % 7, 0]);
		const map = { version: 3, sources: ["a.ts"], names: [], mappings: encode([line]) };
		const index = await indexOf(map);
		const traced = new AnyMap(map as never);
		for (const column of [1, 2, 500, 99_999, 100_000, 100_001]) {
			const expected = originalPositionFor(traced, { line: 1, column });
			expect(index.lookup(1, column + 1), String(column)).toMatchObject({ line: expected.line, column: 0 });
		}
	});
});

describe("reading a map's members as its bytes stream in, without parsing sourcesContent", () => {
	const WANTED = ["version", "sourceRoot", "sources", "names", "sections"];
	const pick = (o: Record<string, unknown>) =>
		Object.fromEntries(Object.entries(o).filter(([k]) => WANTED.includes(k)));

	/** The scanner fed the text in pieces cut at `cuts` (fractions of its length). */
	function scan(text: string, cuts: number[] = []) {
		const b = bytes(text);
		const at = [...new Set(cuts.map((f) => Math.floor(f * b.byteLength)))].sort((x, y) => x - y);
		const scanner = new MapScanner();
		let from = 0;
		for (const to of [...at, b.byteLength]) {
			if (to > from) scanner.feed(b.slice(from, to));
			from = Math.max(from, to);
		}
		const result = scanner.finish();
		if (!result.ok) return null;
		const { members, mappings } = result.map;
		return { ...members, ...(mappings ? { mappings: new TextDecoder().decode(join(mappings)) } : {}) };
	}
	const expected = (text: string) => {
		const parsed = JSON.parse(text);
		return { ...pick(parsed), ...(typeof parsed.mappings === "string" ? { mappings: parsed.mappings } : {}) };
	};

	it("gives what JSON.parse gives for the wanted members of real maps, cut anywhere", () => {
		for (const file of [...fixtures.a.maps, ...fixtures.b.maps]) {
			expect(scan(file.content)).toEqual(expected(file.content));
			expect(scan(file.content, [0.1, 0.33, 0.5, 0.51, 0.9])).toEqual(expected(file.content));
		}
	});

	it("gives what JSON.parse gives on any JSON object, compact or indented, in any pieces; null on any truncation", () => {
		const member = fc.oneof(fc.constantFrom(...WANTED, "mappings"), fc.string());
		fc.assert(
			fc.property(
				fc.dictionary(member, fc.oneof(fc.jsonValue(), fc.string())),
				fc.boolean(),
				fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
				(object, indent, cuts) => {
					const text = JSON.stringify(object, null, indent ? 2 : undefined);
					const parsed = JSON.parse(text);
					if (parsed.mappings !== undefined && typeof parsed.mappings !== "string") {
						expect(scan(text, cuts)).toBeNull(); // mappings that is not a string: not a map
						return;
					}
					expect(scan(text, cuts)).toEqual(expected(text));
					expect(scan(text.slice(0, -1), cuts)).toBeNull();
				},
			),
			{ numRuns: 500, seed: 14 },
		);
	});

	it("reads escaped mappings, skips the XSSI prefix line and a BOM; refuses what is not one object", () => {
		expect(scan(`)]}'\n{"version":3,"mappings":"AAAA"}`)).toEqual({ version: 3, mappings: "AAAA" });
		expect(scan('\ufeff{"version":3}')).toEqual({ version: 3 });
		expect(scan('{"mappings":"AA\\u0041A"}', [0.5])).toEqual({ mappings: "AAAA" });
		for (const bad of ["", "[]", "3", '{"a":1} x', '{"a" 1}', '{"a":1,}', '{"version":}', '{"sources":["a\\"]']) {
			expect(scan(bad), bad).toBeNull();
		}
	});
});

describe("names", () => {
	it("normalises build-relative map names and refuses escapes", () => {
		expect(normaliseMapName("static\\chunks\\app\\page-3f2a.js.map")).toEqual({
			ok: true,
			value: "static/chunks/app/page-3f2a.js.map",
		});
		expect(normaliseMapName("./server//app/route.js.map")).toEqual({ ok: true, value: "server/app/route.js.map" });
		for (const bad of [
			"../x.js.map",
			"a/../../x.js.map",
			"/abs.js.map",
			"C:\\x.js.map",
			"c:x.js.map",
			"x.js",
			"",
			"a\u0000.js.map",
		]) {
			expect(normaliseMapName(bad).ok, bad).toBe(false);
		}
	});

	it("finds the uploaded name of a frame's file (browser chunk, server file, plain URL)", () => {
		expect(mapNameFor("https://shop.example/_next/static/chunks/app/page-3f2a.js?v=1")).toBe(
			"static/chunks/app/page-3f2a.js.map",
		);
		expect(mapNameFor("/var/task/.next/server/app/api/route.js")).toBe("server/app/api/route.js.map");
		expect(mapNameFor("https://cdn.example/assets/index-BXn7q2Ld.js")).toBe("assets/index-BXn7q2Ld.js.map");
		for (const none of [
			"node:internal/process/task_queues",
			"<anonymous>",
			"https://x.example/",
			"https://x.example/../../etc",
		]) {
			expect(mapNameFor(none), none).toBeNull();
		}
	});
});

// The random maps above, encoded with the spec's VLQ (test/fixtures/synthetic-map.ts; the code under test decodes).
function encode(lines: (number | undefined)[][][]): string {
	const state = [0, 0, 0, 0, 0];
	return lines
		.map((segs) => {
			state[0] = 0;
			return segs
				.map((seg) =>
					seg
						.map((value, i) => {
							const delta = (value as number) - (state[i] as number);
							state[i] = value as number;
							return vlq(delta);
						})
						.join(""),
				)
				.join(",");
		})
		.join(";");
}
