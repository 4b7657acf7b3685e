import { AnyMap, decodedMappings, originalPositionFor } from "@jridgewell/trace-mapping";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildIndex, readIndex } from "../../src/sourcemaps/index-format.ts";
import { readMapMembers } from "../../src/sourcemaps/map-json.ts";
import { normaliseMapName } from "../../src/sourcemaps/names.ts";
import { mapNameFor } from "../../src/sourcemaps/resolve.ts";
import fixtures from "../worker/fixtures/sourcemaps.json";

// The upload-time index must answer exactly what @jridgewell/trace-mapping answers for the same map.

function indexOf(map: object) {
	const built = buildIndex(map);
	if (!built.ok) throw new Error(built.reason);
	const index = readIndex(built.index.buffer);
	if (!index) throw new Error("unreadable index");
	return index;
}

function expectSameAsTraceMapping(map: object, extraPositions: [number, number][] = []) {
	const index = indexOf(map);
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
	it("answers like trace-mapping at every segment of both esbuild builds", () => {
		for (const build of [fixtures.a, fixtures.b]) {
			for (const file of build.maps) expect(expectSameAsTraceMapping(JSON.parse(file.content))).toBeGreaterThan(30);
		}
	});

	it("answers like trace-mapping on random maps: unsorted lines, equal columns, gaps, names, sourceless segments", () => {
		const segment = fc.tuple(
			fc.nat(200),
			fc.option(fc.tuple(fc.nat(2), fc.nat(50), fc.nat(80), fc.option(fc.nat(3), { nil: undefined })), {
				nil: undefined,
			}),
		);
		fc.assert(
			fc.property(fc.array(fc.array(segment, { maxLength: 12 }), { minLength: 1, maxLength: 6 }), (lines) => {
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
				expectSameAsTraceMapping(encoded, [
					[1, 0],
					[lines.length + 1, 0],
					[1, 10_000],
				]);
			}),
			{ numRuns: 300, seed: 14 },
		);
	});

	it("flattens index maps (sections) through the library", () => {
		const part = JSON.parse(fixtures.a.maps[0]?.content ?? "{}");
		const sectioned = { version: 3, sections: [{ offset: { line: 2, column: 0 }, map: part }] };
		expect(expectSameAsTraceMapping(sectioned)).toBeGreaterThan(30);
	});

	it("refuses what is not a version 3 map, and broken mappings", () => {
		for (const bad of [null, "x", {}, { version: 2, sources: [], mappings: "" }, { version: 3, mappings: "AAAA" }]) {
			expect(buildIndex(bad).ok).toBe(false);
		}
		expect(buildIndex({ version: 3, sources: ["a"], names: [], mappings: "A!AA" }).ok).toBe(false);
		expect(buildIndex({ version: 3, sources: ["a"], names: [], mappings: "AEAA" }).ok).toBe(false); // source 2 of 1
		expect(buildIndex({ version: 3, sources: ["a"], names: [], mappings: "AAAAC" }).ok).toBe(false); // name 1 of 0
		expect(readIndex(new ArrayBuffer(64))).toBeNull();
	});
});

describe("reading a map's members without parsing sourcesContent", () => {
	const WANTED = ["version", "file", "sourceRoot", "sources", "names", "mappings", "sections", "ignoreList"];
	const pick = (o: Record<string, unknown>) =>
		Object.fromEntries(Object.entries(o).filter(([k]) => WANTED.includes(k)));
	const bytes = (text: string) => new TextEncoder().encode(text);

	it("gives what JSON.parse gives for the wanted members of real maps", () => {
		for (const file of [...fixtures.a.maps, ...fixtures.b.maps]) {
			expect(readMapMembers(bytes(file.content))).toEqual(pick(JSON.parse(file.content)));
		}
	});

	it("gives what JSON.parse gives on any JSON object, compact or indented; null on any truncation", () => {
		const member = fc.oneof(fc.constantFrom(...WANTED), fc.string());
		fc.assert(
			fc.property(fc.dictionary(member, fc.jsonValue()), fc.boolean(), (object, indent) => {
				const text = JSON.stringify(object, null, indent ? 2 : undefined);
				expect(readMapMembers(bytes(text))).toEqual(pick(JSON.parse(text)));
				expect(readMapMembers(bytes(text.slice(0, -1)))).toBeNull();
			}),
			{ numRuns: 500, seed: 14 },
		);
	});

	it("skips the XSSI prefix line and a BOM; refuses what is not one object", () => {
		expect(readMapMembers(bytes(`)]}'\n{"version":3,"mappings":"AAAA"}`))).toEqual({ version: 3, mappings: "AAAA" });
		expect(readMapMembers(bytes('\ufeff{"version":3}'))).toEqual({ version: 3 });
		for (const bad of ["", "[]", "3", '{"a":1} x', '{"a" 1}', '{"a":1,}', '{"version":}', '{"sources":["a\\"]']) {
			expect(readMapMembers(bytes(bad)), bad).toBeNull();
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

// The VLQ encoder the source map spec describes, for the random maps above (the library under test decodes).
function encode(lines: (number | undefined)[][][]): string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const vlq = (n: number) => {
		let v = n < 0 ? (-n << 1) | 1 : n << 1;
		let out = "";
		do {
			let digit = v & 31;
			v >>>= 5;
			if (v > 0) digit |= 32;
			out += chars[digit];
		} while (v > 0);
		return out;
	};
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
