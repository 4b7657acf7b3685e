import { describe, expect, it } from "vitest";
import { call, createKey, ingest, revokeKey, storedRows } from "./helpers.ts";

// The suite every ingest route passes: authentication, origins, preflight, limits, body rules.

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

const UNAUTHORIZED = { error: "Missing or invalid API key" };

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

async function gzip(text: string): Promise<Uint8Array> {
	const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A valid logs-shaped JSON body just over 5 MB. */
function oversizeBody(): string {
	const message = "x".repeat(6000);
	const logs = Array.from({ length: 900 }, () => ({ level: "info", message }));
	return JSON.stringify({ logs });
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

		it("refuses a missing header, a wrong scheme, a malformed, an unknown, a revoked and an expired key with 401", async () => {
			const revoked = await createKey();
			await revokeKey(revoked.id);
			const expired = await createKey({ expiresAt: new Date(Date.now() - 1000).toISOString() });
			const attempts: Record<string, string>[] = [
				{},
				{ authorization: `Basic ${btoa("user:pass")}` },
				{ authorization: `Token ${revoked.key}` },
				{ authorization: "Bearer" },
				{ authorization: "Bearer not-a-key" },
				{ authorization: `Bearer dt_${"A".repeat(40)}` },
				{ authorization: `Bearer ${revoked.key}` },
				{ authorization: `Bearer ${expired.key}` },
			];
			for (const headers of attempts) {
				const res = await ingest(path, undefined, body, { ...headers, origin: BROWSER });
				expect(res.status, JSON.stringify(headers)).toBe(401);
				expect(await res.json()).toEqual(UNAUTHORIZED);
				expectCors(res);
			}
			expect(await storedRows(table, revoked.projectId)).toHaveLength(0);
			expect(await storedRows(table, expired.projectId)).toHaveLength(0);
		});

		it("answers the CORS preflight without a key", async () => {
			const res = await call(path, {
				method: "OPTIONS",
				headers: {
					origin: "https://app.example.com",
					"access-control-request-method": "POST",
					"access-control-request-headers": "authorization, content-type, x-deeptracer-sdk",
				},
			});
			expect(res.status).toBe(204);
			expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
			expect(res.headers.get("access-control-allow-methods")).toContain("POST");
			const allowed = res.headers.get("access-control-allow-headers") ?? "";
			for (const h of ["authorization", "content-type", "content-encoding", "x-deeptracer-sdk"])
				expect(allowed).toContain(h);
		});

		it("enforces the key's allowed origins: exact and *. entries pass, others and `null` get 403", async () => {
			const k = await createKey({ origins: ["https://app.example.com", "https://*.preview.example.com"] });
			for (const origin of [
				"https://app.example.com",
				"https://pr-1.preview.example.com",
				"https://a.b.preview.example.com",
			]) {
				const res = await ingest(path, k.key, body, { origin });
				expect(res.status, origin).toBe(200);
				expectCors(res, origin);
			}
			const noOrigin = await ingest(path, k.key, body);
			expect(noOrigin.status).toBe(200);
			const refused = [
				"https://evil.example.com",
				"http://app.example.com",
				"https://app.example.com:8443",
				"https://preview.example.com",
				"https://app.example.com.evil.io",
				"null",
			];
			for (const origin of refused) {
				const res = await ingest(path, k.key, body, { origin });
				expect(res.status, origin).toBe(403);
				expect(await res.json()).toEqual({ error: "Origin not allowed" });
				expectCors(res, origin);
				// The key is known by now: its rate-limit view goes on the refusal too (nothing spent on it).
				expectRateLimitHeaders(res);
			}
			expect(await storedRows(table, k.projectId)).toHaveLength(4);
		});

		it("accepts any origin when the key has no allow-list", async () => {
			const k = await createKey();
			const res = await ingest(path, k.key, body, { origin: "https://anywhere.dev" });
			expect(res.status).toBe(200);
		});

		it("rate limits per key: request N+1 gets 429 with headers and Retry-After, and is not stored", async () => {
			const k = await createKey({ rateLimit: 3 });
			const remaining: string[] = [];
			for (let i = 0; i < 3; i++) {
				const res = await ingest(path, k.key, body);
				expect(res.status).toBe(200);
				expect(res.headers.get("x-ratelimit-limit")).toBe("3");
				remaining.push(res.headers.get("x-ratelimit-remaining") ?? "");
			}
			expect(remaining).toEqual(["2", "1", "0"]);
			const limited = await ingest(path, k.key, body, { origin: BROWSER });
			expect(limited.status).toBe(429);
			expect(await limited.json()).toEqual({ error: "Rate limit exceeded" });
			expectRateLimitHeaders(limited);
			expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
			const retryAfter = Number(limited.headers.get("retry-after"));
			expect(retryAfter).toBeGreaterThanOrEqual(1);
			expect(retryAfter).toBeLessThanOrEqual(60);
			expectCors(limited);
			expect(await storedRows(table, k.projectId)).toHaveLength(3);
		});

		it("refuses a body over 5 MB with 413: declared, streamed without a length, and gzip-compressed", async () => {
			const k = await createKey();
			const big = oversizeBody();
			expect(big.length).toBeGreaterThan(5 * 1024 * 1024);
			const declared = await ingest(path, k.key, big);
			expect(declared.status).toBe(413);
			const stream = new Blob([big]).stream();
			const streamed = await call(path, {
				method: "POST",
				headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
				body: stream,
				// @ts-expect-error: undici/workerd need duplex for a streamed request body
				duplex: "half",
			});
			expect(streamed.status).toBe(413);
			const compressed = await gzip(big);
			expect(compressed.byteLength).toBeLessThan(1024 * 1024);
			const gz = await call(path, {
				method: "POST",
				headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json", "content-encoding": "gzip" },
				body: compressed,
			});
			expect(gz.status).toBe(413);
			for (const res of [declared, streamed, gz]) {
				expect(((await res.json()) as { error: string }).error).toMatch(/5 MB/);
			}
			expect(await storedRows(table, k.projectId)).toHaveLength(0);
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
