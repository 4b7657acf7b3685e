import { describe, expect, it } from "vitest";
import { clearIsolateKeyCache } from "../../src/auth/lookup.ts";
import { MAX_ATTRIBUTES, SHARED_BUDGET_FACTOR } from "../../src/otlp/attributes.ts";
import { tracesProtobuf, wideResourceTraces } from "../fixtures/otlp-wire.ts";
import { call, control, createKey, ingest, storedRows } from "./helpers.ts";

// Every 200 is stored: bodies that were acknowledged and then refused by ClickHouse, before the fixes.

type Row = Record<string, string>;

describe("POST /ingest/drain: what is acknowledged is stored", () => {
	it("a timestamp with a fractional millisecond (Python's time.time()*1000) is stored, truncated to the ms", async () => {
		const k = await createKey();
		const t = Date.UTC(2026, 11, 1, 22, 0, 0, 1) + 0.5;
		const res = await ingest("/ingest/drain?wait=true", k.key, [
			{ timestamp: t, message: "fractional" },
			{ timestamp: t + 1, message: "whole" },
		]);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: 2 });
		const rows = await storedRows<Row>("logs", k.projectId);
		expect(rows.map((r) => [r.message, r.timestamp]).sort()).toEqual([
			["fractional", "2026-12-01 22:00:00.001"],
			["whole", "2026-12-01 22:00:00.002"],
		]);
	});

	it("fields clipped to their limit never split a character (an emoji across the cut)", async () => {
		const k = await createKey();
		const long = (n: number) => `${"a".repeat(n - 1)}😀tail`; // the emoji's first half is unit n
		const res = await ingest("/ingest/drain?wait=true", k.key, [
			{
				timestamp: Date.now(),
				message: "clipped",
				projectName: long(256),
				environment: long(256),
				deploymentId: long(128),
				requestId: long(256),
				traceId: long(256),
				spanId: long(256),
				source: long(256),
			},
		]);
		expect(res.status).toBe(200);
		const [row] = await storedRows<Row>("logs", k.projectId);
		expect(row).toBeDefined();
		for (const [field, max] of [
			["service", 256],
			["environment", 256],
			["release", 128],
			["request_id", 256],
			["trace_id", 256],
			["span_id", 256],
			["context", 256],
		] as const) {
			expect(row?.[field], field).toBe("a".repeat(max - 1));
		}
	});
});

describe("OTLP: resource and scope attributes are bounded, not copied whole into every item", () => {
	it("a 208 KB request with 6,000 resource attributes and 2,000 spans stores every span, in bounded bytes", async () => {
		const k = await createKey();
		const body = wideResourceTraces(6000, 2000);
		const res = await call("/v1/traces?wait=true", {
			method: "POST",
			headers: { authorization: `Bearer ${k.key}`, "content-type": "application/x-protobuf" },
			body,
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/x-protobuf");
		expect((await res.arrayBuffer()).byteLength).toBe(0); // no partial_success: nothing rejected
		const rows = await storedRows<Row>("spans", k.projectId);
		expect(rows).toHaveLength(2000);
		let metadataChars = 0;
		for (const row of rows) {
			const metadata = JSON.parse(row.metadata as string) as Record<string, unknown>;
			metadataChars += (row.metadata as string).length;
			expect(row.service).toBe("wide");
			expect(Object.keys(metadata).length).toBeLessThanOrEqual(MAX_ATTRIBUTES + 3);
			expect(metadata["otel.dropped_attributes_count"]).toBeGreaterThan(6000 - MAX_ATTRIBUTES);
		}
		expect(metadataChars).toBeLessThanOrEqual(SHARED_BUDGET_FACTOR * body.byteLength + rows.length * 200);
	});

	it("an item keeps its first 128 attributes and says how many it dropped", async () => {
		const k = await createKey();
		const attributes = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`a${i}`, i]));
		const t0 = BigInt(Date.now()) * 1_000_000n;
		const body = tracesProtobuf([
			{
				resource: { "service.name": "svc" },
				scopes: [
					{
						items: [
							{
								traceId: "0af7651916cd43dd8448eb211c80319c",
								spanId: "00f067aa0ba902b7",
								name: "n",
								start: t0,
								end: t0,
								attributes,
							},
						],
					},
				],
			},
		]);
		const res = await call("/v1/traces?wait=true", {
			method: "POST",
			headers: { authorization: `Bearer ${k.key}`, "content-type": "application/x-protobuf" },
			body,
		});
		expect(res.status).toBe(200);
		const [row] = await storedRows<Row>("spans", k.projectId);
		const metadata = JSON.parse(row?.metadata ?? "{}") as Record<string, unknown>;
		expect(metadata.a127).toBe(127);
		expect(metadata.a128).toBeUndefined();
		expect(metadata["otel.dropped_attributes_count"]).toBe(172);
		expect(metadata["service.name"]).toBe("svc");
	});
});

describe("POST /ingest/drain: contract details", () => {
	it("a numeric 5xx proxy.statusCode raises the level to error; a __proto__ field is kept in metadata", async () => {
		const k = await createKey();
		const body = `[{"timestamp":${Date.now()},"message":"p","level":"info","proxy":{"statusCode":502}},{"timestamp":${Date.now()},"message":"q","level":"info","__proto__":{"x":1},"constructor":"c"}]`;
		const res = await ingest("/ingest/drain?wait=true", k.key, body);
		expect(res.status).toBe(200);
		const rows = await storedRows<Row>("logs", k.projectId);
		const byMessage = Object.fromEntries(rows.map((r) => [r.message, r]));
		expect(byMessage.p?.level).toBe("error");
		expect(byMessage.q?.level).toBe("info");
		expect(byMessage.q?.metadata).toBe('{"__proto__":{"x":1},"constructor":"c"}');
	});

	it("a 429 from the drain carries x-vercel-verify, like every drain response", async () => {
		const project = `drain-429-${crypto.randomUUID()}`;
		const k = await createKey({ project, rateLimit: 1 });
		await control("/drain", { project, verify: "vc_429" });
		const entry = [{ timestamp: Date.now(), message: "m" }];
		expect((await ingest("/ingest/drain", k.key, entry)).status).toBe(200);
		const limited = await ingest("/ingest/drain", k.key, entry);
		expect(limited.status).toBe(429);
		expect(limited.headers.get("x-vercel-verify")).toBe("vc_429");
	});

	it("an empty drain secret is refused (it would switch signature checks off)", async () => {
		const project = `drain-secret-${crypto.randomUUID()}`;
		const k = await createKey({ project });
		await control("/drain", { project, secret: "s3cret" });
		await expect(control("/drain", { project, secret: "" })).rejects.toThrow(/empty/);
		const unsigned = await ingest("/ingest/drain", k.key, [{ timestamp: Date.now(), message: "m" }]);
		expect(unsigned.status).toBe(403);
		await control("/drain", { project, clear: true });
		clearIsolateKeyCache(); // the CLI evicts Redis; this isolate's own cache would hold the old record a while
		expect((await ingest("/ingest/drain", k.key, [{ timestamp: Date.now(), message: "m" }])).status).toBe(200);
	});
});
