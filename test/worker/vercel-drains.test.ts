import { beforeAll, describe, expect, it } from "vitest";
import cloudflareLogs from "../fixtures/drains/cloudflare-otlp-logs.json";
import cloudflareTraces from "../fixtures/drains/cloudflare-otlp-traces.json";
import analytics from "../fixtures/drains/vercel-analytics.json";
import logs from "../fixtures/drains/vercel-logs.json";
import speedInsights from "../fixtures/drains/vercel-speed-insights.json";
import traces from "../fixtures/drains/vercel-traces.json";
import { tracesProtobuf } from "../fixtures/otlp-wire.ts";
import { gzip, hmacSha1Hex } from "../support/encode.ts";
import { call, control, createKey, storedRows, type TestKey } from "./helpers.ts";

// A complete Vercel Drains target: every drain type as Vercel's reference documents its payload
// (test/fixtures/drains/SOURCES.md), signed as every drain is, and Cloudflare's own OTLP export.

type Row = Record<string, unknown>;
const SECRET = "drain-secret-3c2b1a";
const DEPLOYMENT = "dpl_2YZzo1cJAjijSf1hwDFK5ayu2Pid";

function post(path: string, key: string, body: BodyInit, headers: Record<string, string> = {}) {
	return call(path, {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
		body,
	});
}

/** A project with a drain secret and a verification code, as `npm run keys -- drain` sets them. */
async function drainProject(): Promise<TestKey> {
	const project = `p-${crypto.randomUUID()}`;
	const k = await createKey({ project });
	await control("/drain", { project, secret: SECRET, verify: "vc_drains" });
	return k;
}

/** Vercel's trace example with this deployment and project on its resource, as a trace drain sends them. */
function vercelTrace(spanId: string) {
	const t = structuredClone(traces) as typeof traces;
	const resource = t.resourceSpans[0]?.resource as { attributes: { key: string; value: { stringValue: string } }[] };
	resource.attributes = [
		{ key: "vercel.projectId", value: { stringValue: "prj_12345" } },
		{ key: "vercel.deploymentId", value: { stringValue: DEPLOYMENT } },
	];
	const span = t.resourceSpans[0]?.scopeSpans[0]?.spans[0] as { spanId: string };
	span.spanId = spanId;
	return t;
}

describe("trace drains: OTLP/HTTP to /v1/traces, signed", () => {
	let k: TestKey;
	beforeAll(async () => {
		k = await drainProject();
	});

	it('verifies the signature of a JSON export, answers x-vercel-verify, maps the deployment and project, reads kind "server"', async () => {
		const body = JSON.stringify(vercelTrace("086e83747d0e3811"));
		const res = await post("/v1/traces", k.key, body, { "x-vercel-signature": await hmacSha1Hex(SECRET, body) });
		expect(res.status).toBe(200);
		expect(res.headers.get("x-vercel-verify")).toBe("vc_drains");
		const [row] = await storedRows<Row>("spans", k.projectId);
		expect(row).toMatchObject({
			release: DEPLOYMENT,
			service: "prj_12345",
			operation: "GET /api/users",
			duration_ms: 150,
		});
		expect(JSON.parse(String(row?.metadata))).toMatchObject({
			"span.kind": "server",
			"vercel.deploymentId": DEPLOYMENT,
		});
	});

	it("verifies a protobuf export's signature over its bytes, and refuses a wrong one with 403 (a protobuf Status)", async () => {
		const span = {
			traceId: "7bba9f33312b3dbb8b2c2c62bb7abe2d",
			spanId: "086e83747d0e3812",
			name: "GET /p",
			start: 1n,
			end: 2n,
		};
		const resource = {
			"vercel.projectId": "prj_12345",
			"vercel.deploymentId": DEPLOYMENT,
			"service.name": "vercel-function",
		};
		const body = tracesProtobuf([{ resource, scopes: [{ name: "vercel", items: [span] }] }]);
		const headers = { "content-type": "application/x-protobuf" };
		const signed = await post("/v1/traces", k.key, body, {
			...headers,
			"x-vercel-signature": await hmacSha1Hex(SECRET, body),
		});
		expect(signed.status).toBe(200);
		const wrong = await post("/v1/traces", k.key, body, {
			...headers,
			"x-vercel-signature": await hmacSha1Hex("other", body),
		});
		expect(wrong.status).toBe(403);
		expect(wrong.headers.get("content-type")).toBe("application/x-protobuf");
		expect(wrong.headers.get("x-vercel-verify")).toBe("vc_drains");
		const rows = await storedRows<Row>("spans", k.projectId);
		const stored = rows.filter((r) => r.span_id === "086e83747d0e3812");
		expect(stored).toHaveLength(1);
		// service.name is there: it wins over the project id; the deployment is the release either way.
		expect(stored[0]).toMatchObject({ service: "vercel-function", release: DEPLOYMENT });
	});

	it("refuses a JSON export with a wrong signature (403), and takes an unsigned one (other exporters sign nothing)", async () => {
		const body = JSON.stringify(vercelTrace("086e83747d0e3813"));
		const wrong = await post("/v1/traces", k.key, body, { "x-vercel-signature": "00".repeat(20) });
		expect(wrong.status).toBe(403);
		expect(await wrong.json()).toEqual({ error: "Invalid signature" });
		expect((await post("/v1/traces", k.key, body)).status).toBe(200);
	});

	it("signs /v1/logs the same way", async () => {
		const body = JSON.stringify(cloudflareLogs);
		expect((await post("/v1/logs", k.key, body, { "x-vercel-signature": await hmacSha1Hex("x", body) })).status).toBe(
			403,
		);
		const res = await post("/v1/logs", k.key, body, { "x-vercel-signature": await hmacSha1Hex(SECRET, body) });
		expect(res.status).toBe(200);
		expect(res.headers.get("x-vercel-verify")).toBe("vc_drains");
	});
});

describe("Speed Insights and Web Analytics drains: /ingest/drain, their own tables", () => {
	it("stores Vercel's Speed Insights example field by field in web_vitals, none in logs (JSON, NDJSON, gzip)", async () => {
		const k = await drainProject();
		const json = JSON.stringify(speedInsights);
		const sign = async (b: string | Uint8Array) => ({ "x-vercel-signature": await hmacSha1Hex(SECRET, b) });
		const res = await post("/ingest/drain?wait=true", k.key, json, await sign(json));
		expect(await res.json()).toEqual({ ok: true, count: 2 });
		expect(res.headers.get("x-vercel-verify")).toBe("vc_drains");
		const full = {
			...speedInsights[0],
			schema: "vercel.speed_insights.v1",
			timestamp: "2023-09-14T15:31:00.000Z",
			route: "/dashboard/[id]",
			country: "US",
			region: "CA",
			city: "San Francisco",
			osName: "macOS",
			osVersion: "13.4",
			clientName: "Chrome",
			clientType: "browser",
			clientVersion: "114.0.5735.90",
			deviceType: "desktop",
			deviceBrand: "Apple",
			connectionSpeed: "4g",
			browserEngine: "Blink",
			browserEngineVersion: "114.0.5735.90",
			scriptVersion: "1.0.0",
			sdkVersion: "2.1.0",
			sdkName: "@vercel/speed-insights",
			vercelEnvironment: "production",
			vercelUrl: "*.vercel.app",
			deploymentId: DEPLOYMENT,
			attribution: "attribution-data",
			extra: 1,
		};
		const ndjson = [full, { ...full, metricType: "INP", value: 180 }].map((e) => JSON.stringify(e)).join("\n");
		const nd = await post("/ingest/drain", k.key, ndjson, {
			"content-type": "application/x-ndjson",
			...(await sign(ndjson)),
		});
		expect(await nd.json()).toEqual({ ok: true, count: 2 });
		const gz = await gzip(JSON.stringify([{ ...full, metricType: "TTFB", value: 210.5 }]));
		const zipped = await post("/ingest/drain", k.key, gz, { "content-encoding": "gzip", ...(await sign(gz)) });
		expect(await zipped.json()).toEqual({ ok: true, count: 1 });

		const rows = (await storedRows<Row>("web_vitals", k.projectId)).sort((a, b) =>
			String(a.metric).localeCompare(String(b.metric)),
		);
		expect(rows.map((r) => [r.metric, r.value])).toEqual([
			["CLS", 0.1],
			["CLS", 0.1],
			["INP", 180],
			["LCP", 2.5],
			["TTFB", 210.5],
		]);
		const cls = rows.find((r) => r.metric === "CLS" && r.route === "") as Row;
		expect(cls).toMatchObject({
			timestamp: "2023-09-14 15:30:00.000",
			path: "/dashboard",
			origin: "https://example.com",
			device_id: "12345",
			vercel_project_id: speedInsights[0]?.projectId,
			owner_id: speedInsights[0]?.ownerId,
			environment: "production",
			release: "",
			truncated: [],
		});
		expect(rows.find((r) => r.metric === "TTFB")).toMatchObject({
			timestamp: "2023-09-14 15:31:00.000",
			route: "/dashboard/[id]",
			release: DEPLOYMENT,
			country: "US",
			region: "CA",
			city: "San Francisco",
			os_name: "macOS",
			os_version: "13.4",
			client_name: "Chrome",
			client_type: "browser",
			client_version: "114.0.5735.90",
			device_type: "desktop",
			device_brand: "Apple",
			connection_speed: "4g",
			browser_engine: "Blink",
			browser_engine_version: "114.0.5735.90",
			script_version: "1.0.0",
			sdk_name: "@vercel/speed-insights",
			sdk_version: "2.1.0",
			vercel_url: "*.vercel.app",
			attribution: "attribution-data",
			metadata: '{"extra":1}',
		});
		expect(await storedRows("logs", k.projectId)).toEqual([]);
	});

	it("stores Vercel's Web Analytics example field by field in web_events (v1 and v2), eventData as its JSON text", async () => {
		const k = await createKey();
		const res = await post("/ingest/drain", k.key, JSON.stringify(analytics));
		expect(await res.json()).toEqual({ ok: true, count: 2 });
		const v1 = {
			...analytics[1],
			schema: "vercel.analytics.v1",
			eventName: "signup_done",
			referrer: "https://google.com",
			queryParams: "utm_source=google&utm_medium=cpc",
			route: "/signup/[step]",
			deviceModel: "MacBook Pro",
			sdkName: "@vercel/analytics",
			sdkVersionFull: "2.1.0-beta.1",
			flags: '{"feature_a": true}',
			deploymentId: DEPLOYMENT,
			dataSourceName: "web-analytics",
		};
		const nd = await post(
			"/ingest/drain",
			k.key,
			`${JSON.stringify(v1)}\n${JSON.stringify({ ...v1, sessionId: 99 })}`,
			{ "content-type": "application/x-ndjson" },
		);
		expect(await nd.json()).toEqual({ ok: true, count: 2 });
		const rows = (await storedRows<Row>("web_events", k.projectId)).sort((a, b) =>
			`${a.schema}${a.event_name}${a.session_id}`.localeCompare(`${b.schema}${b.event_name}${b.session_id}`),
		);
		expect(rows).toHaveLength(4);
		expect(rows[0]).toMatchObject({
			schema: "vercel.analytics.v1",
			event_type: "event",
			event_name: "signup_done",
			event_data: '{"button": "signup"}',
			session_id: "12345",
			device_id: "67890",
			referrer: "https://google.com",
			query_params: "utm_source=google&utm_medium=cpc",
			route: "/signup/[step]",
			device_model: "MacBook Pro",
			sdk_name: "@vercel/analytics",
			sdk_version_full: "2.1.0-beta.1",
			flags: '{"feature_a": true}',
			release: DEPLOYMENT,
			metadata: '{"dataSourceName":"web-analytics"}',
		});
		expect(rows[1]).toMatchObject({ session_id: "99" });
		expect(rows[2]).toMatchObject({
			schema: "vercel.analytics.v2",
			event_type: "pageview",
			event_name: "",
			event_data: "",
			timestamp: "2023-09-14 20:30:00.000",
			path: "/dashboard",
			origin: "https://example.com",
			truncated: [],
		});
		expect(rows[3]).toMatchObject({
			event_type: "event",
			event_name: "button_click",
			event_data: '{"button": "signup"}',
			path: "/signup",
		});
		expect(await storedRows("logs", k.projectId)).toEqual([]);
	});

	it("routes a mixed batch by schema, refuses an unknown schema (counted), never storing either as a log", async () => {
		const k = await createKey();
		const batch = [
			logs[0],
			speedInsights[0],
			analytics[0],
			{ ...analytics[0], schema: "vercel.audit_log.v1" },
			{ schema: 3 },
		];
		const res = await post("/ingest/drain", k.key, JSON.stringify(batch));
		expect(await res.json()).toEqual({ ok: true, count: 3, rejected: 2 });
		expect(await storedRows("logs", k.projectId)).toHaveLength(1);
		expect(await storedRows("web_vitals", k.projectId)).toHaveLength(1);
		expect(await storedRows("web_events", k.projectId)).toHaveLength(1);
		const unknown = await post("/ingest/drain", k.key, JSON.stringify([{ schema: "vercel.future.v9", timestamp: 1 }]));
		expect(await unknown.json()).toEqual({ error: "No valid log drain entries", rejected: 1 });
	});

	it("takes Vercel's log example as ever (entries without a schema are log entries)", async () => {
		const k = await createKey();
		expect(await (await post("/ingest/drain", k.key, JSON.stringify(logs))).json()).toEqual({ ok: true, count: 2 });
		const rows = (await storedRows<Row>("logs", k.projectId)).sort((a, b) =>
			String(a.timestamp).localeCompare(String(b.timestamp)),
		);
		// The second example names no projectName: its project id is the service.
		expect(rows.map((r) => [r.service, r.release, r.context])).toEqual([
			["my-app", logs[0]?.deploymentId, "build"],
			[logs[1]?.projectId, logs[1]?.deploymentId, "lambda"],
		]);
	});
});

describe("Cloudflare Workers' own OTLP export (OTLP/JSON)", () => {
	it("is accepted as is: spans with Cloudflare's attributes, and its thin log records", async () => {
		const k = await createKey();
		const t = await post("/v1/traces", k.key, JSON.stringify(cloudflareTraces));
		expect(t.status).toBe(200);
		expect(await t.json()).toEqual({});
		const spans = await storedRows<Row>("spans", k.projectId);
		expect(spans.length).toBeGreaterThanOrEqual(2);
		expect(spans.every((s) => s.service === "my-worker")).toBe(true);
		const root = spans.find((s) => s.parent_span_id === "") as Row;
		expect(JSON.parse(String(root.metadata))).toMatchObject({
			"cloudflare.colo": "ORD",
			"cloudflare.script_tags": [],
			"http.response.status_code": 200,
			"span.kind": "server",
		});
		const l = await post("/v1/logs", k.key, JSON.stringify(cloudflareLogs));
		expect(await l.json()).toEqual({});
		const rows = await storedRows<Row>("logs", k.projectId);
		expect(rows.map((r) => r.message)).toContain('{"log.kind":"api.request","route":"/api","ms":4}');
	});
});
