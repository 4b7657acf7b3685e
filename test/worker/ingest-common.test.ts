import { describe, expect, it } from "vitest";
import { gzip } from "../support/encode.ts";
import { call, createKey, ingest, storedRows } from "./helpers.ts";

// What every JSON ingest route stores, on the real engines: a valid request, compressed bodies, body rules. The
// gate's behaviour (CORS, preflight, each 401, 413, 415, origins, 429, retries) over every data endpoint is
// test/routes/shared-suite.test.ts, with the stores in memory.

const ROUTES = {
	"/ingest/logs": { table: "logs", body: { logs: [{ level: "info", message: "hello" }] } },
	"/ingest/errors": {
		table: "errors",
		body: { error_message: "boom", stack_trace: "Error: boom\n    at f (/app/a.js:1:1)" },
	},
	"/ingest/traces": {
		table: "spans",
		body: { trace_id: "t", span_id: "s", operation: "op", start_time: "2026-02-23T00:00:00.000Z", duration_ms: 1 },
	},
	"/ingest/llm": {
		table: "llm_usage",
		body: { model: "m", provider: "p", operation: "o", input_tokens: 1, output_tokens: 1, latency_ms: 1 },
	},
} as const;

const BROWSER = "https://app.example.com";

/** A browser's request (it carries Origin) gets the CORS headers on every response, errors included. */
function expectCors(res: Response, origin = BROWSER) {
	expect(res.headers.get("access-control-allow-origin")).toBe(origin);
	expect(res.headers.get("access-control-expose-headers")).toContain("x-ratelimit-remaining");
}

function expectRateLimitHeaders(res: Response) {
	expect(Number(res.headers.get("x-ratelimit-limit"))).toBeGreaterThan(0);
	expect(res.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
	const reset = Number(res.headers.get("x-ratelimit-reset"));
	expect(reset).toBeGreaterThan(Date.now() / 1000 - 1);
	expect(reset).toBeLessThan(Date.now() / 1000 + 120);
}

for (const [path, { table, body }] of Object.entries(ROUTES)) {
	describe(`${path}: shared route behaviour`, () => {
		it("accepts a valid request with CORS and rate-limit headers, and stores it", async () => {
			const k = await createKey();
			const res = await ingest(path, k.key, body, { origin: BROWSER });
			expect(res.status).toBe(200);
			expectCors(res);
			expectRateLimitHeaders(res);
			// A server-side SDK or a drain sends no Origin: no CORS headers, the rest the same.
			const server = await ingest(path, k.key, body);
			expect(server.status).toBe(200);
			expect(server.headers.get("access-control-allow-origin")).toBeNull();
			expectRateLimitHeaders(server);
			expect(await storedRows(table, k.projectId)).toHaveLength(2);
		});

		it("accepts gzip and deflate bodies", async () => {
			const k = await createKey();
			const gz = await gzip(JSON.stringify(body));
			const res = await call(path, {
				method: "POST",
				headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json", "content-encoding": "gzip" },
				body: gz,
			});
			expect(res.status).toBe(200);
			const deflated = new Uint8Array(
				await new Response(
					new Blob([JSON.stringify(body)]).stream().pipeThrough(new CompressionStream("deflate")),
				).arrayBuffer(),
			);
			const res2 = await call(path, {
				method: "POST",
				headers: {
					authorization: `Bearer ${k.key}`,
					"content-type": "application/json",
					"content-encoding": "deflate",
				},
				body: deflated,
			});
			expect(res2.status).toBe(200);
			expect(await storedRows(table, k.projectId)).toHaveLength(2);
		});

		it("refuses unsupported Content-Type and Content-Encoding with 415, malformed JSON and bad gzip with 400", async () => {
			const k = await createKey();
			const xml = await ingest(path, k.key, JSON.stringify(body), { "content-type": "application/xml" });
			expect(xml.status).toBe(415);
			expect(((await xml.json()) as { error: string }).error).toMatch(/Content-Type/);
			const br = await ingest(path, k.key, JSON.stringify(body), { "content-encoding": "br" });
			expect(br.status).toBe(415);
			const malformed = await ingest(path, k.key, '{"logs": [');
			expect(malformed.status).toBe(400);
			expect(await malformed.json()).toEqual({ error: "Malformed JSON body" });
			const badGzip = await ingest(path, k.key, "not gzip", { "content-encoding": "gzip" });
			expect(badGzip.status).toBe(400);
			const beacon = await ingest(path, k.key, JSON.stringify(body), { "content-type": "text/plain;charset=UTF-8" });
			expect(beacon.status).toBe(200);
			expect(await storedRows(table, k.projectId)).toHaveLength(1);
		});
	});
}
