import { describe } from "vitest";
import { silenceConsole } from "../../bench/harness.ts";
import { vlq } from "../fixtures/synthetic-map.ts";
import { type Case, linearCases } from "./linear-cost.ts";

// Source-map uploads: each shape that once cost more than linear, or stored more than the map
// (linear-cost.ts says how it is measured).

const utf8 = new TextEncoder();
const BOUNDARY = "----cost";

const CASES: Case[] = [
	upload("mappings: many segments", 20_000, (n) => mapJson({ mappings: segments(n) })),
	upload("names: many short strings", 20_000, (n) =>
		mapJson({ names: Array.from({ length: n }, (_, i) => `n${i}`), mappings: "AAAAA" }),
	),
	upload("sourcesContent: escapes everywhere", 20_000, (n) =>
		mapJson({ sourcesContent: [Array.from({ length: n }, (_, i) => `"${i}"\n`).join("")] }),
	),
	upload("sections: many small maps", 2_000, (n) =>
		JSON.stringify({
			version: 3,
			sections: Array.from({ length: n }, (_, i) => ({
				offset: { line: i, column: 0 },
				map: { version: 3, sources: [`s${i}.ts`], names: [], mappings: "AAAA,CAAC" },
			})),
		}),
	),
	upload("one line, unsorted", 20_000, (n) =>
		mapJson({ mappings: Array.from({ length: n }, (_, i) => (i === 0 ? `${vlq(n)}AAA` : "DAAA")).join(",") }),
	),
	{
		route: "/ingest/sourcemaps",
		shape: "many small files",
		contentType: `multipart/form-data; boundary=${BOUNDARY}`,
		n: 100,
		body: (n) => multipartBody(Array.from({ length: n }, (_, i) => [`f/${i}.js.map`, mapJson({})])),
	},
	{
		route: "/ingest/sourcemaps",
		shape: "a 70-byte boundary over its own byte",
		contentType: `multipart/form-data; boundary=${"a".repeat(70)}`,
		status: 400, // the one file is not a map
		n: 64 * 1024,
		body: (n) => multipartBody([["a.js.map", "a".repeat(n)]], "a".repeat(70)),
	},
	{
		route: "/ingest/sourcemaps",
		shape: "a body of CRs",
		contentType: `multipart/form-data; boundary=${BOUNDARY}`,
		status: 400,
		n: 64 * 1024,
		body: (n) => multipartBody([["a.js.map", "\r".repeat(n)]]),
	},
];

function upload(shape: string, n: number, map: (n: number) => string): Case {
	return {
		route: "/ingest/sourcemaps",
		shape,
		contentType: `multipart/form-data; boundary=${BOUNDARY}`,
		n,
		body: (size) => multipartBody([["static/chunks/app.js.map", map(size)]]),
	};
}

function mapJson(members: object): string {
	return JSON.stringify({ version: 3, sources: ["src/a.ts"], names: ["x"], mappings: "AAAA", ...members });
}

/** n segments on a few lines, every field moving. */
function segments(n: number): string {
	const out: string[] = [];
	for (let i = 0; i < n; i++) out.push(`${i % 500 === 0 && i > 0 ? ";" : ""}${vlq(3)}A${vlq(i % 3)}${vlq(1)}A`);
	return out.join(",").replaceAll(",;", ";");
}

function multipartBody(files: [string, string][], boundary = BOUNDARY): Uint8Array<ArrayBuffer> {
	const parts = [`--${boundary}\r\nContent-Disposition: form-data; name="release"\r\n\r\ncost`];
	for (const [name, content] of files)
		parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\n\r\n${content}`);
	return utf8.encode(`${parts.join("\r\n")}\r\n--${boundary}--\r\n`);
}

describe("an upload's CPU and stored bytes grow at most linearly in its size", () => {
	silenceConsole();
	linearCases(CASES);
});
