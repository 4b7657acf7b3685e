import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createKey, storedRows } from "./helpers.ts";

// navigator.sendBeacon cannot send Authorization: the key may come as ?key= for what a beacon sends (a text/plain
// POST with an Origin), for keys with an origin allow-list, from an allowed origin. A real browser sends them in
// test/dev/beacon-browser.test.ts; here every rule, and that the key never reaches a log line or a row.

const SITE = "https://shop.example.com";
const body = (message: string) => JSON.stringify({ service: "web", logs: [{ level: "info", message }] });

function beacon(key: string, init: { origin?: string; type?: string; authorization?: string; message?: string } = {}) {
	const headers: Record<string, string> = { "content-type": init.type ?? "text/plain;charset=UTF-8" };
	headers.origin = init.origin ?? SITE;
	if (init.authorization) headers.authorization = init.authorization;
	return call(`/ingest/logs?key=${encodeURIComponent(key)}`, {
		method: "POST",
		headers,
		body: body(init.message ?? "beacon"),
	});
}

describe("browser beacons with the key in the query string", () => {
	const lines: string[] = [];
	const capture = () => {
		for (const level of ["log", "info", "warn", "error", "debug"] as const) {
			vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
				lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
			});
		}
	};
	afterEach(() => {
		vi.restoreAllMocks();
		lines.length = 0;
	});

	it("from an allowed origin: stored, and neither the key nor the URL's query is logged or stored", async () => {
		const k = await createKey({ origins: [SITE] });
		capture();
		const res = await beacon(k.key, { message: "flushed on pagehide" });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: 1 });
		const rows = await storedRows("logs", k.projectId);
		expect(rows.map((r) => r.message)).toEqual(["flushed on pagehide"]);
		const events = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
		expect(events).toContainEqual(expect.objectContaining({ route: "/ingest/logs", status: 200, auth_via: "beacon" }));
		for (const text of [...lines, JSON.stringify(rows)]) {
			expect(text).not.toContain(k.key);
			expect(text).not.toContain("key=");
		}
	});

	it("from an origin not on the key's list: 403, nothing stored", async () => {
		const k = await createKey({ origins: [SITE] });
		const res = await beacon(k.key, { origin: "https://evil.example.net" });
		expect(res.status).toBe(403);
		expect(await res.json()).toEqual({ error: "Origin not allowed" });
		expect(await storedRows("logs", k.projectId)).toEqual([]);
	});

	it("a key without an origin list is never taken from the URL: 401, even though it is valid", async () => {
		const k = await createKey();
		expect((await beacon(k.key)).status).toBe(401);
		expect(await storedRows("logs", k.projectId)).toEqual([]);
	});

	it("only for what a beacon sends: not for JSON, not without Origin, never instead of a bad Authorization", async () => {
		const k = await createKey({ origins: [SITE] });
		expect((await beacon(k.key, { type: "application/json" })).status).toBe(401);
		const noOrigin = await call(`/ingest/logs?key=${k.key}`, {
			method: "POST",
			headers: { "content-type": "text/plain" },
			body: body("x"),
		});
		expect(noOrigin.status).toBe(401);
		expect((await beacon(k.key, { authorization: "Bearer dt_not_a_real_key_0000000000" })).status).toBe(401);
	});
});
