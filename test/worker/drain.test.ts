import { beforeAll, describe, expect, it } from "vitest";
import { ALL, build, crash, edge, external, firewall, lambda, redirect, staticEntry, T0 } from "../fixtures/vercel.ts";
import { gzip, hmacSha1Hex } from "../support/encode.ts";
import { call, control, createKey, storedRows, type TestKey } from "./helpers.ts";

function drain(key: string, body: BodyInit | null, headers: Record<string, string> = {}, method = "POST") {
	return call("/ingest/drain", {
		method,
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
		body,
	});
}

type Row = Record<string, string | number>;
const byTime = (rows: Row[]) => rows.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));

describe("POST /ingest/drain: mapping", () => {
	let k: TestKey;
	let rows: Row[];
	beforeAll(async () => {
		k = await createKey();
		const res = await drain(k.key, JSON.stringify(ALL));
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: ALL.length });
		rows = byTime(await storedRows<Row>("logs", k.projectId));
	});

	it("stores one row per entry, for every source", () => {
		expect(rows.map((r) => r.context)).toEqual([
			"lambda",
			"lambda",
			"build",
			"edge",
			"static",
			"external",
			"firewall",
			"redirect",
		]);
	});

	it("maps a lambda entry field by field, the rest in metadata", () => {
		const row = rows[0] as Row;
		expect(row).toMatchObject({
			project_id: k.projectId,
			api_key_id: k.id,
			timestamp: "2026-11-26 08:00:00.123",
			service: "my-app",
			environment: "production",
			release: lambda.deploymentId,
			level: "info",
			message: lambda.message,
			request_id: lambda.requestId,
			trace_id: lambda.traceId,
			span_id: lambda.spanId,
			context: "lambda",
		});
		const metadata = JSON.parse(String(row.metadata));
		expect(metadata).toMatchObject({
			id: lambda.id,
			host: lambda.host,
			path: "/api/users",
			statusCode: 200,
			branch: "main",
			executionRegion: "iad1",
			projectId: lambda.projectId,
			proxy: lambda.proxy,
		});
		expect(metadata.proxy.userAgent).toEqual(lambda.proxy.userAgent);
		for (const mapped of [
			"message",
			"timestamp",
			"level",
			"source",
			"deploymentId",
			"requestId",
			"traceId",
			"spanId",
		]) {
			expect(metadata).not.toHaveProperty(mapped);
		}
	});

	it("maps levels: warning→warn, fatal→error, a crash (-1) or 5xx at least error", () => {
		const level = (id: string) => rows.find((r) => JSON.parse(String(r.metadata)).id === id)?.level;
		expect(level(crash.id)).toBe("error");
		expect(level(build.id)).toBe("warn");
		expect(level(edge.id)).toBe("error");
		expect(level(external.id)).toBe("error");
		expect(level(firewall.id)).toBe("warn");
		expect(level(redirect.id)).toBe("info");
		expect(level(staticEntry.id)).toBe("info");
	});

	it("reads trace.id / span.id too", () => {
		const row = rows.find((r) => r.context === "edge") as Row;
		expect(row.trace_id).toBe(edge["trace.id"]);
		expect(row.span_id).toBe(edge["span.id"]);
	});
});

describe("POST /ingest/drain: formats", () => {
	it("takes NDJSON by Content-Type and by sniffing, gzip or not, and a single object", async () => {
		const k = await createKey();
		const ndjson = ALL.slice(0, 3)
			.map((e) => JSON.stringify(e))
			.join("\n");
		expect(await (await drain(k.key, ndjson, { "content-type": "application/x-ndjson" })).json()).toEqual({
			ok: true,
			count: 3,
		});
		expect(await (await drain(k.key, `${ndjson}\n`, { "content-type": "text/plain" })).json()).toEqual({
			ok: true,
			count: 3,
		});
		const gz = await gzip(JSON.stringify(ALL));
		expect(await (await drain(k.key, gz, { "content-encoding": "gzip" })).json()).toEqual({
			ok: true,
			count: ALL.length,
		});
		// Other entries: the same body again, compressed or not, would be a redelivery (stored once).
		const gzNd = await gzip(
			ALL.slice(3, 6)
				.map((e) => JSON.stringify(e))
				.join("\n"),
		);
		const res = await drain(k.key, gzNd, { "content-encoding": "gzip", "content-type": "application/x-ndjson" });
		expect(await res.json()).toEqual({ ok: true, count: 3 });
		expect(await (await drain(k.key, JSON.stringify(lambda))).json()).toEqual({ ok: true, count: 1 });
		expect(await storedRows("logs", k.projectId)).toHaveLength(3 + 3 + ALL.length + 3 + 1);
	});

	it("answers the verification request (GET, empty body, {}) with 200 and the project's x-vercel-verify", async () => {
		const project = `p-${crypto.randomUUID()}`;
		const k = await createKey({ project });
		await control("/drain", { project, verify: "vc_verify_123" });
		for (const [method, body] of [
			["GET", null],
			["POST", ""],
			["POST", "{}"],
		] as const) {
			const res = await drain(k.key, body, {}, method);
			expect(res.status, `${method} ${body}`).toBe(200);
			expect(res.headers.get("x-vercel-verify")).toBe("vc_verify_123");
			expect(await res.json()).toEqual({ ok: true, count: 0 });
		}
		const stored = await drain(k.key, JSON.stringify([lambda]));
		expect(stored.headers.get("x-vercel-verify")).toBe("vc_verify_123");
		expect(await storedRows("logs", k.projectId)).toHaveLength(1);
	});

	it("takes batches beyond 1000 entries and 256 KB messages, written in chunks", async () => {
		const k = await createKey();
		const many = Array.from({ length: 2500 }, (_, i) => ({
			...redirect,
			id: `e${i}`,
			timestamp: T0 + i,
			message: `m${i}`,
		}));
		expect(await (await drain(k.key, JSON.stringify(many))).json()).toEqual({ ok: true, count: 2500 });
		const big = { ...lambda, message: "x".repeat(256 * 1024) };
		expect(await (await drain(k.key, JSON.stringify([big]))).json()).toEqual({ ok: true, count: 1 });
		const rows = await storedRows<Row>("logs", k.projectId);
		expect(rows).toHaveLength(2501);
		expect(rows.some((r) => String(r.message).length === 256 * 1024)).toBe(true);
	});

	it("stores valid entries, counts and reports invalid ones", async () => {
		const k = await createKey();
		const body = [lambda, { ...build, timestamp: "yesterday" }, "not an object", { ...edge, level: "loud" }, redirect];
		const res = await drain(k.key, JSON.stringify(body));
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: 2, rejected: 3 });
		expect(await storedRows("logs", k.projectId)).toHaveLength(2);
		const ndjson = `${JSON.stringify(lambda)}\n{broken\n${JSON.stringify(redirect)}`;
		const res2 = await drain(k.key, ndjson, { "content-type": "application/x-ndjson" });
		expect(await res2.json()).toEqual({ ok: true, count: 2, rejected: 1 });
	});

	it("refuses a batch with no valid entry, malformed JSON, a wrong type and a missing key", async () => {
		const k = await createKey();
		const none = await drain(k.key, JSON.stringify([{ nope: 1 }]));
		expect(none.status).toBe(400);
		expect(await none.json()).toEqual({ error: "No valid log drain entries", rejected: 1 });
		expect((await drain(k.key, "[{")).status).toBe(400);
		expect((await drain(k.key, "[]", { "content-type": "application/xml" })).status).toBe(415);
		const anon = await call("/ingest/drain", { method: "POST", body: "[]" });
		expect(anon.status).toBe(401);
		expect(await storedRows("logs", k.projectId)).toHaveLength(0);
	});
});

describe("POST /ingest/drain: signatures", () => {
	const secret = "drain-secret-9f8e7d";
	let k: TestKey;
	beforeAll(async () => {
		const project = `p-${crypto.randomUUID()}`;
		k = await createKey({ project });
		await control("/drain", { project, secret, verify: "vc_1" });
	});

	it("accepts a body signed with the project's secret (plain and gzip)", async () => {
		const body = JSON.stringify([lambda, build]);
		const res = await drain(k.key, body, { "x-vercel-signature": await hmacSha1Hex(secret, body) });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: 2 });
		// Another body (the same one again would be a redelivery, stored once).
		const gz = await gzip(JSON.stringify([build, lambda]));
		const res2 = await drain(k.key, gz, {
			"content-encoding": "gzip",
			"x-vercel-signature": await hmacSha1Hex(secret, gz),
		});
		expect(res2.status).toBe(200);
		expect(await storedRows("logs", k.projectId)).toHaveLength(4);
	});

	it("refuses a missing, wrong or other-secret signature with 403 before parsing, storing nothing", async () => {
		const fresh = await createKey({ project: `p-${crypto.randomUUID()}` });
		const body = JSON.stringify([lambda]);
		const bad: Record<string, string>[] = [
			{},
			{ "x-vercel-signature": "" },
			{ "x-vercel-signature": "zz" },
			{ "x-vercel-signature": await hmacSha1Hex("other-secret", body) },
			{ "x-vercel-signature": await hmacSha1Hex(secret, `${body} `) },
		];
		const before = (await storedRows("logs", k.projectId)).length;
		for (const headers of bad) {
			const res = await drain(k.key, body, headers);
			expect(res.status, JSON.stringify(headers)).toBe(403);
			expect(await res.json()).toEqual({ error: "Invalid signature" });
			expect(res.headers.get("x-vercel-verify")).toBe("vc_1");
		}
		// Malformed JSON with a bad signature is a 403, not a 400: the signature is checked first.
		expect((await drain(k.key, "[{", { "x-vercel-signature": "00" })).status).toBe(403);
		expect(await storedRows("logs", k.projectId)).toHaveLength(before);
		// A project without a secret does not need a signature.
		expect((await drain(fresh.key, body)).status).toBe(200);
	});
});
