import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { join } from "../../src/sourcemaps/map-json.ts";
import { MultipartError, MultipartReader, multipartBoundary } from "../../src/sourcemaps/multipart.ts";

// The upload's multipart reader against bodies built by hand, cut into pieces anywhere (one byte at a time too):
// every part's name, filename and bytes come back exactly, whatever the chunking and however close the content comes
// to the delimiter.

const utf8 = new TextEncoder();

interface Part {
	name: string;
	filename?: string;
	content: Uint8Array;
}

function body(boundary: string, parts: Part[], preamble = ""): Uint8Array {
	const pieces: Uint8Array[] = [utf8.encode(preamble === "" ? "" : `${preamble}\r\n`)];
	for (const p of parts) {
		const file = p.filename === undefined ? "" : `; filename="${p.filename}"`;
		pieces.push(utf8.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n\r\n`));
		pieces.push(p.content, utf8.encode("\r\n"));
	}
	pieces.push(utf8.encode(`--${boundary}--\r\nepilogue`));
	return join(pieces);
}

function stream(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
	const at = [...new Set(cuts.map((f) => Math.floor(f * bytes.byteLength)))].sort((a, b) => a - b);
	const chunks: Uint8Array[] = [];
	let from = 0;
	for (const to of [...at, bytes.byteLength]) {
		if (to > from) chunks.push(bytes.slice(from, to));
		from = Math.max(from, to);
	}
	return new ReadableStream({
		pull(c) {
			const next = chunks.shift();
			if (next) c.enqueue(next);
			else c.close();
		},
	});
}

async function read(s: ReadableStream<Uint8Array>, boundary: string): Promise<Part[]> {
	const reader = new MultipartReader(s, boundary, 10 * 1024 * 1024);
	const parts: Part[] = [];
	for (let head = await reader.nextPart(); head !== null; head = await reader.nextPart()) {
		const pieces: Uint8Array[] = [];
		for (let p = await reader.bodyChunk(); p !== null; p = await reader.bodyChunk()) pieces.push(p.slice());
		const content = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
		let at = 0;
		for (const p of pieces) {
			content.set(p, at);
			at += p.byteLength;
		}
		parts.push({ name: head.name ?? "", ...(head.filename === undefined ? {} : { filename: head.filename }), content });
	}
	return parts;
}

const BCHARS = "0123456789abcdefABCDEF'()+_,-./:=? ";

describe("multipart reader", () => {
	const boundary = fc
		.string({ unit: fc.constantFrom(...BCHARS), minLength: 1, maxLength: 70 })
		.filter((b) => !b.endsWith(" "));

	it("gives back every part exactly, whatever the chunking and content near the delimiter", async () => {
		await fc.assert(
			fc.asyncProperty(
				boundary,
				fc.array(
					fc.record({
						name: fc.constantFrom("release", "files", "x"),
						filename: fc.option(fc.constantFrom("a.js.map", "static\\chunks\\b.js.map"), { nil: undefined }),
						// Content made of delimiter fragments, CRs and LFs, and random bytes.
						content: fc.array(fc.oneof(fc.constantFrom("\r", "\n", "\r\n", "\r\n-", "\r\n--", "-"), fc.string()), {
							maxLength: 8,
						}),
					}),
					{ maxLength: 5 },
				),
				fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
				fc.boolean(),
				async (b, specs, cuts, preamble) => {
					const contents = specs.map((s) =>
						s.content.map((c) => (c === "\r\n--" ? `\r\n--${b.slice(0, -1)}` : c)).join(""),
					);
					// RFC 2046: a part's content never holds its delimiter (nor ends with its start, the CRLF before it).
					fc.pre(contents.every((c) => !`${c}\r\n`.includes(`\r\n--${b}`)));
					const parts: Part[] = specs.map((s, i) => ({
						name: s.name,
						...(s.filename === undefined ? {} : { filename: s.filename }),
						content: utf8.encode(contents[i] as string),
					}));
					const bytes = body(b, parts, preamble ? "a preamble" : "");
					expect(await read(stream(bytes, cuts), b)).toEqual(parts);
				},
			),
			{ numRuns: 300, seed: 20 },
		);
	});

	it("reads a body delivered one byte at a time", async () => {
		const parts: Part[] = [
			{ name: "release", content: utf8.encode("v1") },
			{ name: "files", filename: "a.js.map", content: utf8.encode('{"version":3}\r\n--boun') },
		];
		const bytes = body("bound", parts);
		const cuts = Array.from({ length: bytes.byteLength }, (_, i) => i / bytes.byteLength);
		expect(await read(stream(bytes, cuts), "bound")).toEqual(parts);
	});

	it("refuses a body that ends inside a part, and part headers over 8 KiB", async () => {
		const cut = body("b", [{ name: "files", filename: "a.js.map", content: utf8.encode("{}") }]).slice(0, -20);
		await expect(read(stream(cut, []), "b")).rejects.toThrow(MultipartError);
		const long = utf8.encode(`--b\r\nX-Long: ${"x".repeat(9000)}\r\n\r\n{}\r\n--b--`);
		await expect(read(stream(long, [0.3]), "b")).rejects.toThrow(/headers over/);
	});

	it("takes RFC 2046 boundaries only", () => {
		expect(multipartBoundary('multipart/form-data; boundary="a b"')).toEqual({ ok: true, boundary: "a b" });
		expect(multipartBoundary("multipart/form-data; boundary=----x")).toEqual({ ok: true, boundary: "----x" });
		for (const bad of ["multipart/form-data", "multipart/form-data; boundary=", `x; boundary=${"b".repeat(71)}`]) {
			expect(multipartBoundary(bad).ok, bad).toBe(false);
		}
		expect(multipartBoundary('x; boundary="a@b"').ok).toBe(false);
		expect(multipartBoundary('x; boundary="ends "').ok).toBe(false);
	});
});
