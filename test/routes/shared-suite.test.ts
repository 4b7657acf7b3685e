import { describe, expect, it } from "vitest";
import { memoryApp } from "../support/memory-app.ts";
import { ENDPOINTS, type Endpoint } from "./endpoints.ts";

// The gate every data endpoint passes, on the real app with its stores in memory (no engine): CORS and preflight,
// each 401 cause, 413 declared and streamed, 415, origins, 429, and retries. What the engines store is test/worker/'s.

const BROWSER = "https://app.example.com";
const MB5 = 5 * 1024 * 1024;
const OVERSIZE = new Uint8Array(MB5 + 1).fill(0x20);

/** The message of an error answer: the documented JSON, or OTLP's google.rpc.Status in protobuf. */
async function errorOf(res: Response, e: Endpoint): Promise<string> {
	if (!e.protobuf) return ((await res.json()) as { error: string }).error;
	expect(res.headers.get("content-type")).toBe("application/x-protobuf");
	const bytes = new Uint8Array(await res.arrayBuffer());
	// google.rpc.Status { int32 code = 1; string message = 2 }: tag 1 varint, then tag 2, length, text.
	const at = bytes.indexOf(0x12);
	return new TextDecoder().decode(bytes.subarray(at + 2, at + 2 + (bytes[at + 1] as number)));
}

/** An address of its own per test: failed lookups are counted per address, in module state shared by the tier. */
const randomIp = () => `10.${crypto.getRandomValues(new Uint8Array(3)).join(".")}`;

function post(e: Endpoint, key: string | undefined, headers: Record<string, string> = {}, n = 0): RequestInit {
	return {
		method: "POST",
		headers: { "content-type": e.contentType, ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
		body: e.body(n),
	};
}

function expectRateLimitHeaders(res: Response, limit?: number) {
	if (limit !== undefined) expect(res.headers.get("x-ratelimit-limit")).toBe(String(limit));
	expect(res.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
	const reset = Number(res.headers.get("x-ratelimit-reset"));
	expect(reset).toBeGreaterThan(Date.now() / 1000 - 1);
	expect(reset).toBeLessThan(Date.now() / 1000 + 120);
}

function expectCors(res: Response, origin = BROWSER) {
	expect(res.headers.get("access-control-allow-origin")).toBe(origin);
	expect(res.headers.get("access-control-expose-headers")).toContain("x-ratelimit-remaining");
}

for (const e of ENDPOINTS) {
	describe(`shared ingest suite: ${e.name}`, () => {
		it("stores a valid request and answers with rate-limit headers; CORS headers only for a browser", async () => {
			const m = memoryApp();
			const { key } = await m.addKey();
			const server = await m.send(e.path, post(e, key));
			expect(server.status).toBe(200);
			expectRateLimitHeaders(server, 5000);
			expect(server.headers.get("access-control-allow-origin")).toBeNull();
			const browser = await m.send(e.path, post(e, key, { origin: BROWSER }, 1));
			expect(browser.status).toBe(200);
			expectCors(browser);
			expect(m.inserted[e.table]).toHaveLength(2 * e.rows);
		});

		it("answers its preflight without a key", async () => {
			const m = memoryApp();
			const res = await m.send(e.path, {
				method: "OPTIONS",
				headers: { origin: BROWSER, "access-control-request-method": "POST" },
			});
			expect(res.status).toBe(204);
			expect(res.headers.get("access-control-allow-origin")).toBe(BROWSER);
			expect(res.headers.get("access-control-allow-methods")).toContain("POST");
			for (const h of ["authorization", "content-type", "content-encoding", "x-deeptracer-sdk"])
				expect(res.headers.get("access-control-allow-headers")).toContain(h);
			expect(m.calls.size).toBe(0);
		});

		const causes: [string, (keys: { revoked: string; expired: string }) => Record<string, string>][] = [
			["no Authorization header", () => ({})],
			["another scheme (Basic)", () => ({ authorization: `Basic ${btoa("user:pass")}` })],
			["another scheme (Token) with a live key's text", (k) => ({ authorization: `Token ${k.revoked}` })],
			["a Bearer without a key", () => ({ authorization: "Bearer" })],
			["a malformed key", () => ({ authorization: "Bearer not-a-key" })],
			["an unknown key", () => ({ authorization: `Bearer dt_${"A".repeat(40)}` })],
			["a revoked key", (k) => ({ authorization: `Bearer ${k.revoked}` })],
			["an expired key", (k) => ({ authorization: `Bearer ${k.expired}` })],
		];
		it.each(causes)("refuses %s with 401, CORS headers on, nothing stored", async (_, headers) => {
			const m = memoryApp();
			const revoked = await m.addKey({ revokedAt: Date.now() - 1000 });
			const expired = await m.addKey({ expiresAt: Date.now() - 1000 });
			const res = await m.send(
				e.path,
				post(e, undefined, {
					...headers({ revoked: revoked.key, expired: expired.key }),
					origin: BROWSER,
					"cf-connecting-ip": randomIp(),
				}),
			);
			expect(res.status).toBe(401);
			expect(await errorOf(res, e)).toBe("Missing or invalid API key");
			expectCors(res);
			expect(m.inserted[e.table]).toHaveLength(0);
		});

		it("refuses a declared body over 5 MB with 413 before anything else (no key is even looked up)", async () => {
			const m = memoryApp();
			const res = await m.send(e.path, {
				method: "POST",
				headers: {
					"content-type": e.contentType,
					"content-length": String(OVERSIZE.byteLength),
					authorization: `Bearer dt_${"B".repeat(40)}`,
				},
				body: OVERSIZE,
			});
			expect(res.status).toBe(413);
			expect(await errorOf(res, e)).toMatch(/5 MB/);
			expect(m.calls.size).toBe(0);
		});

		it("refuses a streamed body (no length) past 5 MB with 413, storing nothing", async () => {
			const m = memoryApp();
			const { key } = await m.addKey();
			const res = await m.send(e.path, {
				method: "POST",
				headers: { "content-type": e.contentType, authorization: `Bearer ${key}` },
				body: new Blob([OVERSIZE]).stream(),
				// @ts-expect-error: workerd needs duplex for a streamed request body
				duplex: "half",
			});
			expect(res.status).toBe(413);
			expect(m.inserted[e.table]).toHaveLength(0);
		});

		it("refuses an unsupported Content-Type or Content-Encoding with 415", async () => {
			const m = memoryApp();
			const { key } = await m.addKey();
			const xml = await m.send(e.path, post(e, key, { "content-type": "application/xml" }));
			expect(xml.status).toBe(415);
			// Not a protobuf request: the answer is the documented JSON.
			expect(((await xml.json()) as { error: string }).error).toMatch(/Content-Type/);
			const br = await m.send(e.path, post(e, key, { "content-encoding": "br" }));
			expect(br.status).toBe(415);
			expect(m.inserted[e.table]).toHaveLength(0);
		});

		it("refuses an origin the key does not list with 403, carrying the key's rate-limit view", async () => {
			const m = memoryApp();
			const { key } = await m.addKey({ allowedOrigins: [BROWSER] });
			expect((await m.send(e.path, post(e, key, { origin: BROWSER }))).status).toBe(200);
			const evil = "https://evil.example.com";
			const res = await m.send(e.path, post(e, key, { origin: evil }, 1));
			expect(res.status).toBe(403);
			expect(await errorOf(res, e)).toBe("Origin not allowed");
			expectCors(res, evil);
			expectRateLimitHeaders(res, 5000);
			expect(m.inserted[e.table]).toHaveLength(e.rows);
		});

		it("answers 429 with Retry-After past the key's limit, storing nothing more", async () => {
			const m = memoryApp();
			const { key } = await m.addKey({ rateLimit: 2 });
			for (let n = 0; n < 2; n++) expect((await m.send(e.path, post(e, key, {}, n))).status).toBe(200);
			const limited = await m.send(e.path, post(e, key, { origin: BROWSER }, 2));
			expect(limited.status).toBe(429);
			expect(await errorOf(limited, e)).toBe("Rate limit exceeded");
			expectRateLimitHeaders(limited, 2);
			expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
			const retryAfter = Number(limited.headers.get("retry-after"));
			expect(retryAfter).toBeGreaterThanOrEqual(1);
			expect(retryAfter).toBeLessThanOrEqual(60);
			expectCors(limited);
			expect(m.inserted[e.table]).toHaveLength(2 * e.rows);
		});

		it("answers a retry with the same Idempotency-Key and body as the first, writing nothing more", async () => {
			const m = memoryApp();
			const { key } = await m.addKey();
			const first = await m.send(e.path, post(e, key, { "idempotency-key": "retry-1" }));
			const retry = await m.send(e.path, post(e, key, { "idempotency-key": "retry-1" }));
			expect([first.status, retry.status]).toEqual([200, 200]);
			expect(retry.headers.get("idempotency-key")).toBe("retry-1");
			expect(new Uint8Array(await retry.arrayBuffer())).toEqual(new Uint8Array(await first.arrayBuffer()));
			expect(m.inserted[e.table]).toHaveLength(e.rows);
		});

		it(
			e.redelivered
				? "stores a redelivery of the same body once, without an Idempotency-Key"
				: "stores the same body sent twice without an Idempotency-Key twice (two SDK batches can be alike)",
			async () => {
				const m = memoryApp();
				const { key } = await m.addKey();
				expect((await m.send(e.path, post(e, key))).status).toBe(200);
				expect((await m.send(e.path, post(e, key))).status).toBe(200);
				expect(m.inserted[e.table]).toHaveLength((e.redelivered ? 1 : 2) * e.rows);
			},
		);
	});
}
