import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMaps, uploadFolder } from "../../dev/sourcemaps.ts";
import { MultipartReader, multipartBoundary } from "../../src/sourcemaps/multipart.ts";

// `npm run sourcemaps -- upload DIR`: the requests it sends, read by the parser the worker uses, on a plain
// HTTP server (the worker's side of the upload is test/worker/sourcemaps.test.ts).

interface Seen {
	authorization: string | undefined;
	fields: string[];
	files: string[];
}

describe("npm run sourcemaps -- upload", () => {
	let dir: string;
	let server: Server;
	let url: string;
	const seen: Seen[] = [];

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), "dt-sourcemaps-cli-"));
		const files = [
			...Array.from({ length: 23 }, (_, i) => `static/chunks/${i}-0f3e2d1c.js.map`),
			"server/app/api/route.js.map",
			"node_modules/pkg/index.js.map",
			"static/chunks/app.js",
		];
		for (const f of files) {
			mkdirSync(dirname(join(dir, f)), { recursive: true });
			writeFileSync(join(dir, f), JSON.stringify({ version: 3, sources: ["a.ts"], names: [], mappings: "AAAA" }));
		}
		server = createServer(async (req: IncomingMessage, res) => {
			const request: Seen = { authorization: req.headers.authorization, fields: [], files: [] };
			const boundary = multipartBoundary(req.headers["content-type"] ?? "");
			if (!boundary.ok) throw new Error(boundary.reason);
			const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
			const reader = new MultipartReader(body, boundary.boundary, 50 * 1024 * 1024);
			for (let part = await reader.nextPart(); part !== null; part = await reader.nextPart()) {
				request.fields.push(part.name ?? "");
				if (part.filename !== undefined) request.files.push(part.filename);
			}
			seen.push(request);
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ ok: true, release: "r", count: request.files.length }));
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});

	afterAll(() => {
		server.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it("finds every map under the folder, node_modules skipped, names relative with slashes", async () => {
		const maps = await findMaps(dir);
		expect(maps).toHaveLength(24);
		expect(maps).toContain("server/app/api/route.js.map");
		expect(maps.some((m) => m.includes("node_modules"))).toBe(false);
	});

	it("sends them as the SDK does: release first, then 20 files a request, with the key", async () => {
		const result = await uploadFolder({ dir, release: "v1", url, key: "dt_test" });
		expect(result).toEqual({ stored: 24, refused: 0 });
		expect(seen.map((s) => s.files.length)).toEqual([20, 4]);
		for (const s of seen) {
			expect(s.authorization).toBe("Bearer dt_test");
			expect(s.fields[0]).toBe("release");
			expect(s.fields.slice(1).every((f) => f === "files")).toBe(true);
		}
		expect(seen.flatMap((s) => s.files)).toEqual(await findMaps(dir));
	});
});
