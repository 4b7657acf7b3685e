import { beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_EXAMPLES } from "../../src/openapi/examples.ts";
import { createKey, ingest, storedRows, type TestKey } from "./helpers.ts";

// The example requests of docs/api/ingestion-api.txt, sent as documented: the exact documented
// response, then the stored rows with the documented defaults.

const ISO_ROW_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

describe("golden contract: the reference's examples", () => {
	let k: TestKey;
	beforeAll(async () => {
		k = await createKey();
	});

	it("POST /ingest/logs", async () => {
		const before = Date.now();
		const res = await ingest("/ingest/logs", k.key, REFERENCE_EXAMPLES.logs);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: 2 });

		const rows = (await storedRows("logs", k.projectId)).sort((a, b) =>
			String(a.message).localeCompare(String(b.message)),
		);
		expect(rows).toHaveLength(2);
		const common = {
			project_id: k.projectId,
			api_key_id: k.id,
			service: "my-app",
			environment: "production",
			release: "",
			trace_id: "",
			span_id: "",
			request_id: "",
			context: "",
			vercel_id: "",
		};
		expect(rows[0]).toMatchObject({
			...common,
			level: "error",
			message: "Payment failed",
			metadata: JSON.stringify({ orderId: "ord_456", reason: "card_declined" }),
		});
		expect(rows[1]).toMatchObject({
			...common,
			level: "info",
			message: "User signed up",
			metadata: JSON.stringify({ userId: "u_123", plan: "pro" }),
		});
		for (const row of rows) {
			// A missing timestamp is the time the request was received.
			expect(row.timestamp).toBe(row.received_at);
			expect(row.received_at).toMatch(ISO_ROW_TIME);
			const received = Date.parse(`${String(row.received_at).replace(" ", "T")}Z`);
			expect(received).toBeGreaterThanOrEqual(before - 1000);
			expect(received).toBeLessThanOrEqual(Date.now() + 1000);
		}
	});

	it("POST /ingest/errors", async () => {
		const body = REFERENCE_EXAMPLES.errors;
		const res = await ingest("/ingest/errors", k.key, body);
		expect(res.status).toBe(200);
		const json = (await res.json()) as { ok: boolean; fingerprint: string };
		expect(Object.keys(json)).toEqual(["ok", "fingerprint"]);
		expect(json.ok).toBe(true);
		expect(json.fingerprint).toMatch(/^[0-9a-f]{64}$/);

		const rows = await storedRows("errors", k.projectId);
		expect(rows).toEqual([
			expect.objectContaining({
				project_id: k.projectId,
				api_key_id: k.id,
				service: "my-app",
				environment: "production",
				release: "",
				fingerprint: json.fingerprint,
				error_message: body.error_message,
				stack_trace: body.stack_trace,
				severity: "high",
				context: JSON.stringify(body.context),
				trace_id: "",
				user_id: "",
				breadcrumbs: "[]",
			}),
		]);
	});

	it("POST /ingest/traces", async () => {
		const res = await ingest("/ingest/traces", k.key, REFERENCE_EXAMPLES.traces);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true });
		expect(await storedRows("spans", k.projectId)).toEqual([
			expect.objectContaining({
				project_id: k.projectId,
				api_key_id: k.id,
				service: "my-app",
				environment: "production",
				release: "",
				trace_id: "abc123def456",
				span_id: "span_001",
				parent_span_id: "",
				operation: "GET /api/users",
				start_time: "2026-02-23 00:00:00.000",
				duration_ms: 145,
				status: "ok",
				metadata: JSON.stringify({ "http.status_code": 200 }),
			}),
		]);
	});

	it("POST /ingest/llm", async () => {
		const res = await ingest("/ingest/llm", k.key, REFERENCE_EXAMPLES.llm);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true });
		expect(await storedRows("llm_usage", k.projectId)).toEqual([
			expect.objectContaining({
				project_id: k.projectId,
				api_key_id: k.id,
				service: "my-app",
				environment: "production",
				release: "",
				model: "gpt-4o",
				provider: "openai",
				operation: "chat.completion",
				input_tokens: 1250,
				output_tokens: 340,
				cost_usd: 0.0089,
				latency_ms: 2100,
				metadata: JSON.stringify({ feature: "support-chat" }),
			}),
		]);
	});
});

describe("documented defaults", () => {
	let k: TestKey;
	beforeAll(async () => {
		k = await createKey();
	});

	it("fills service, environment, severity, parent_span_id, status and cost_usd; rounds counts half away from zero", async () => {
		expect((await ingest("/ingest/logs", k.key, { logs: [{ level: "debug", message: "m" }] })).status).toBe(200);
		expect((await ingest("/ingest/errors", k.key, { error_message: "boom", stack_trace: "" })).status).toBe(200);
		const span = {
			trace_id: "t1",
			span_id: "s1",
			operation: "op",
			start_time: "2026-02-23T01:02:03.456+02:00",
			duration_ms: 2.5,
		};
		expect((await ingest("/ingest/traces", k.key, span)).status).toBe(200);
		const llm = { model: "m", provider: "p", operation: "o", input_tokens: 0.5, output_tokens: 1.49, latency_ms: 10.5 };
		expect((await ingest("/ingest/llm", k.key, llm)).status).toBe(200);

		const [log] = await storedRows("logs", k.projectId);
		expect(log).toMatchObject({ service: "unknown", environment: "production", level: "debug", metadata: "{}" });
		const [error] = await storedRows("errors", k.projectId);
		expect(error).toMatchObject({ service: "unknown", environment: "production", severity: "medium", context: "{}" });
		const [spanRow] = await storedRows("spans", k.projectId);
		expect(spanRow).toMatchObject({
			service: "unknown",
			environment: "production",
			parent_span_id: "",
			status: "ok",
			duration_ms: 3,
			start_time: "2026-02-22 23:02:03.456",
		});
		const [llmRow] = await storedRows("llm_usage", k.projectId);
		expect(llmRow).toMatchObject({ cost_usd: 0, input_tokens: 1, output_tokens: 1, latency_ms: 11 });
	});

	it("keeps vercel_id and the per-entry release over the batch's, ignores unknown fields", async () => {
		const k2 = await createKey();
		const res = await ingest("/ingest/logs", k2.key, {
			release: "batch-1",
			surprise: { nested: true },
			logs: [
				{
					level: "warn",
					message: "a",
					vercel_id: "iad1::abc",
					release: "entry-2",
					timestamp: "2026-02-23T00:00:00.000Z",
				},
				{ level: "info", message: "b", trace_id: "t", span_id: "s", request_id: "r", context: "auth", extra: 1 },
			],
		});
		expect(res.status).toBe(200);
		const rows = (await storedRows("logs", k2.projectId)).sort((a, b) =>
			String(a.message).localeCompare(String(b.message)),
		);
		expect(rows[0]).toMatchObject({ vercel_id: "iad1::abc", release: "entry-2", timestamp: "2026-02-23 00:00:00.000" });
		expect(rows[1]).toMatchObject({
			release: "batch-1",
			trace_id: "t",
			span_id: "s",
			request_id: "r",
			context: "auth",
		});
	});
});
