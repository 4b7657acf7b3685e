import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { createServices } from "../../src/services/index.ts";
import { callApp, createKey, ingest, storedRows, withServiceStopped } from "./helpers.ts";

// Deduplication decides whether an acknowledged row is stored: only a retry of the same request may be dropped.

const logs = (prefix: string, n: number) => ({
	logs: Array.from({ length: n }, (_, i) => ({ level: "info", message: `${prefix}-${i}` })),
});

describe("X-Request-Id is for correlation only", () => {
	it("different requests with the same X-Request-Id are all stored, across projects, routes and ?wait=true", async () => {
		const a = await createKey();
		const b = await createKey();
		const rid = { "x-request-id": `shared-${crypto.randomUUID()}` };
		for (const [key, path, body] of [
			[a.key, "/ingest/logs", logs("a", 2)],
			[a.key, "/ingest/logs", logs("a2", 2)],
			[b.key, "/ingest/logs?wait=true", logs("b", 2)],
			[a.key, "/ingest/drain", [{ timestamp: Date.now(), message: "drain" }]],
		] as const) {
			const res = await ingest(path, key, body, rid);
			expect(res.status).toBe(200);
			expect(res.headers.get("x-request-id")).toBe(rid["x-request-id"]);
		}
		expect(await storedRows("logs", a.projectId)).toHaveLength(5);
		expect(await storedRows("logs", b.projectId)).toHaveLength(2);
	});

	it("the same body sent twice without an Idempotency-Key is two requests", async () => {
		const k = await createKey();
		const rid = { "x-request-id": "same-body" };
		await ingest("/ingest/logs", k.key, logs("twice", 1), rid);
		await ingest("/ingest/logs", k.key, logs("twice", 1), rid);
		expect(await storedRows("logs", k.projectId)).toHaveLength(2);
	});
});

describe("Idempotency-Key", () => {
	it("scopes to the route: the same key and body on two routes writing one table are two requests", async () => {
		const k = await createKey();
		// Valid for both routes: a logs batch, and (read by the drain) one entry with a time.
		const body = { logs: [{ level: "info", message: "both" }], timestamp: Date.now(), message: "drain" };
		const idem = { "idempotency-key": "route-scope" };
		expect((await ingest("/ingest/logs", k.key, body, idem)).status).toBe(200);
		expect((await ingest("/ingest/drain", k.key, body, idem)).status).toBe(200);
		expect(await storedRows("logs", k.projectId)).toHaveLength(2);
	});

	it("scopes to the route, not the path's spelling: a retry to /ingest/logs/ is the same request", async () => {
		const k = await createKey();
		const idem = { "idempotency-key": "trailing-slash" };
		const first = await ingest("/ingest/logs", k.key, logs("slash", 2), idem);
		const retry = await ingest("/ingest/logs/", k.key, logs("slash", 2), idem);
		expect([first.status, retry.status]).toEqual([200, 200]);
		expect(await retry.json()).toEqual(await first.json());
		expect(await storedRows("logs", k.projectId)).toHaveLength(2);
	});

	it("a retry that lands after UTC midnight stores nothing more; the rows keep the first attempt's time", async () => {
		const midnight = Math.ceil(Date.now() / 86_400_000) * 86_400_000;
		let clock = midnight - 300;
		const app = createApp({ createServices: createServices, now: () => clock });
		const k = await createKey();
		const send = async () => {
			const res = await callApp(app, "/ingest/logs", {
				method: "POST",
				headers: {
					authorization: `Bearer ${k.key}`,
					"content-type": "application/json",
					"idempotency-key": "midnight",
				},
				body: JSON.stringify(logs("night", 3)),
			});
			return res;
		};
		expect((await send()).status).toBe(200);
		clock = midnight + 500;
		const retry = await send();
		expect(retry.status).toBe(200);
		expect(await retry.json()).toEqual({ ok: true, count: 3 });
		const rows = await storedRows<{ received_at: string }>("logs", k.projectId);
		expect(rows).toHaveLength(3);
		expect(new Set(rows.map((r) => r.received_at.slice(0, 10)))).toEqual(
			new Set([new Date(midnight - 300).toISOString().slice(0, 10)]),
		);
	});

	it("a retry whose first attempt is not yet held stores once across midnight: it takes the first's time", async () => {
		// The ledger never learns that the rows are held (as while the first attempt is still writing), so the
		// retry does write: only its pinned received_at (same partition) lets ClickHouse's token drop it.
		const midnight = Math.ceil(Date.now() / 86_400_000) * 86_400_000;
		let clock = midnight - 300;
		const services = (config: Parameters<typeof createServices>[0]) => {
			const s = createServices(config);
			const ledger = s.idempotency;
			return { ...s, idempotency: { claim: (t: string, at: number) => ledger.claim(t, at), markHeld: async () => {} } };
		};
		const app = createApp({ createServices: services, now: () => clock });
		const k = await createKey();
		const send = async () => {
			const res = await callApp(app, "/ingest/logs", {
				method: "POST",
				headers: {
					authorization: `Bearer ${k.key}`,
					"content-type": "application/json",
					"idempotency-key": "not-held",
				},
				body: JSON.stringify(logs("pinned", 3)),
			});
			return res.status;
		};
		expect(await send()).toBe(200);
		clock = midnight + 500;
		expect(await send()).toBe(200);
		const rows = await storedRows<{ received_at: string }>("logs", k.projectId);
		expect(rows).toHaveLength(3);
		expect(rows[0]?.received_at.slice(0, 10)).toBe(new Date(midnight - 300).toISOString().slice(0, 10));
	});

	it("with Redis down an idempotent request is still served and stored (the ledger is best effort)", async () => {
		const k = await createKey();
		await withServiceStopped("redis", async () => {
			const res = await ingest("/ingest/logs", k.key, logs("no-ledger", 2), { "idempotency-key": "redis-down" });
			expect(res.status).toBe(200);
		});
		expect(await storedRows("logs", k.projectId)).toHaveLength(2);
	});
});

describe("redeliveries: Vercel and OTLP exporters send the same body again, without an Idempotency-Key", () => {
	const entries = (tag: string) => [
		{ id: `${tag}-1`, timestamp: Date.now(), message: "a", source: "lambda", projectId: "prj" },
		{ id: `${tag}-2`, timestamp: Date.now(), message: "b", source: "edge", projectId: "prj" },
		{ id: `${tag}-3`, timestamp: Date.now(), message: "c", source: "static", projectId: "prj" },
	];
	const spans = (n: number) => ({
		resourceSpans: [
			{
				resource: { attributes: [{ key: "service.name", value: { stringValue: "api" } }] },
				scopeSpans: [
					{
						spans: Array.from({ length: n }, (_, i) => ({
							traceId: "5b8efff798038103d269b633813fc60c",
							spanId: `eee19b7ec3c1b17${i}`,
							name: `span ${i}`,
							startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
							endTimeUnixNano: String(BigInt(Date.now() + 5) * 1_000_000n),
						})),
					},
				],
			},
		],
	});

	it("the same drain batch twice stores its entries once; the second answer, with ?wait=true, is the first's", async () => {
		const k = await createKey();
		const body = JSON.stringify(entries("redeliver"));
		const first = await ingest("/ingest/drain?wait=true", k.key, body);
		const second = await ingest("/ingest/drain?wait=true", k.key, body);
		expect([first.status, second.status]).toEqual([200, 200]);
		expect(await second.json()).toEqual(await first.json());
		expect(await storedRows("logs", k.projectId)).toHaveLength(3);
		// Another batch (other entries) is another request.
		expect((await ingest("/ingest/drain", k.key, entries("other"))).status).toBe(200);
		expect(await storedRows("logs", k.projectId)).toHaveLength(6);
	});

	it("a batch over a megabyte (hashed in slices) twice stores once; one differing byte in its last slice is another", async () => {
		const k = await createKey();
		const big = (last: string) => [
			...Array.from({ length: 2_400 }, (_, i) => ({ id: `big-${i}`, timestamp: Date.now(), message: "x".repeat(500) })),
			{ id: "big-last", timestamp: Date.now(), message: last },
		];
		const body = JSON.stringify(big("a"));
		expect(body.length).toBeGreaterThan(1024 * 1024);
		for (const _ of [1, 2]) expect((await ingest("/ingest/drain?wait=true", k.key, body)).status).toBe(200);
		expect(await storedRows("logs", k.projectId)).toHaveLength(2_401);
		expect((await ingest("/ingest/drain?wait=true", k.key, JSON.stringify(big("b")))).status).toBe(200);
		expect(await storedRows("logs", k.projectId)).toHaveLength(4_802);
	});

	it("the same OTLP export twice (JSON, then its retry) stores its spans once, also with ?wait=true", async () => {
		const k = await createKey();
		const body = JSON.stringify(spans(2));
		const first = await ingest("/v1/traces", k.key, body);
		const second = await ingest("/v1/traces?wait=true", k.key, body);
		expect([first.status, second.status]).toEqual([200, 200]);
		expect(await second.json()).toEqual(await first.json());
		expect(await storedRows("spans", k.projectId)).toHaveLength(2);
	});

	it("the same SDK log batch twice is two batches (the SDK's two requests can be alike)", async () => {
		const k = await createKey();
		await ingest("/ingest/logs", k.key, logs("twice", 2));
		await ingest("/ingest/logs", k.key, logs("twice", 2));
		expect(await storedRows("logs", k.projectId)).toHaveLength(4);
	});
});
