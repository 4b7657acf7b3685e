import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/ingest/limits.ts";
import { crumbOf, errorReport, logBatch, logLines, SDK_HEADERS } from "../fixtures/deeptracer-sdk.ts";
import { createKey, ingest, storedRows } from "./helpers.ts";

// What the DeepTracer SDK really sends is kept: it drops a 4xx silently, so a 400 for one of our bounds (not the
// contract's) is a lost event. Past a bound of ours a value is clipped and the row lists it.

type Row = Record<string, unknown>;
const send = (path: string, key: string, body: unknown) => ingest(path, key, body, SDK_HEADERS);

describe("the SDK's own requests", () => {
	it("a 10,000-character log line, then an error: the error is stored, its breadcrumb clipped and listed, the fingerprint that of the error without breadcrumbs", async () => {
		const k = await createKey();
		const lines = logLines(19, { at: 7, chars: 10_000 });
		expect((await send("/ingest/logs", k.key, logBatch(lines))).status).toBe(200);
		const report = errorReport("Card declined", lines.map(crumbOf), "2026-12-03T10:16:10.871Z");
		expect(report.breadcrumbs).toHaveLength(20);
		const res = await send("/ingest/errors", k.key, report);
		expect(res.status).toBe(200);
		const { fingerprint } = (await res.json()) as { fingerprint: string };
		const bare = await send("/ingest/errors", k.key, { ...report, breadcrumbs: undefined, context: undefined });
		expect(((await bare.json()) as { fingerprint: string }).fingerprint).toBe(fingerprint);

		const rows = await storedRows<Row>("errors", k.projectId);
		expect(rows).toHaveLength(2);
		const stored = rows.find((r) => (r.truncated as string[]).length > 0) as Row;
		const at = report.breadcrumbs.findIndex((b) => b.message.length > LIMITS.breadcrumbMessage);
		expect(at).toBe(6); // the 8th log line, 1 of the ring's first pushed out by the span and the error
		expect(stored.truncated).toEqual([`breadcrumbs[${at}].message`]);
		const crumbs = JSON.parse(String(stored.breadcrumbs)) as { message: string }[];
		expect(crumbs).toHaveLength(20);
		expect(crumbs[at]?.message).toBe(report.breadcrumbs[at]?.message.slice(0, LIMITS.breadcrumbMessage));
		expect(stored).toMatchObject({ fingerprint, sdk: "core/0.8.3", error_message: "Card declined" });
		const logs = await storedRows<Row>("logs", k.projectId);
		expect(logs.map((l) => (l.message as string).length)).toContain(10_000);
		expect(logs.every((l) => (l.truncated as string[]).length === 0 && l.sdk === "core/0.8.3")).toBe(true);
	});

	it("a 50-log batch with one 300 KiB line stores 50 rows, that line clipped to 256 KiB and listed", async () => {
		const k = await createKey();
		const res = await send("/ingest/logs", k.key, logBatch(logLines(50, { at: 23, chars: 300 * 1024 })));
		expect(await res.json()).toEqual({ ok: true, count: 50 });
		const rows = await storedRows<Row>("logs", k.projectId);
		expect(rows).toHaveLength(50);
		const clipped = rows.filter((r) => (r.truncated as string[]).length > 0);
		expect(clipped).toHaveLength(1);
		expect(clipped[0]).toMatchObject({ truncated: ["message"] });
		expect(String(clipped[0]?.message)).toHaveLength(LIMITS.logMessage);
		expect(String(clipped[0]?.message).startsWith("Webhook payload: xxx")).toBe(true);
	});

	it("a 40 KiB error message, 150 breadcrumbs and a 100 KiB context are kept, clipped and listed", async () => {
		const k = await createKey();
		const ring = Array.from({ length: 150 }, (_, i) => ({
			type: "log",
			message: `[info] line ${i}`,
			timestamp: "2026-12-03T10:15:00.000Z",
		}));
		const report = { ...errorReport("m".repeat(40 * 1024), [], "2026-12-03T10:16:10.871Z"), breadcrumbs: ring };
		report.context = { ...report.context, payload: "p".repeat(100 * 1024) } as typeof report.context;
		const res = await send("/ingest/errors", k.key, report);
		expect(res.status).toBe(200);
		const [row] = await storedRows<Row>("errors", k.projectId);
		expect(row?.truncated).toEqual(["error_message", "context", "breadcrumbs"]);
		expect(String(row?.error_message)).toHaveLength(LIMITS.errorMessage);
		const crumbs = JSON.parse(String(row?.breadcrumbs)) as { message: string }[];
		expect([crumbs.length, crumbs[0]?.message, crumbs.at(-1)?.message]).toEqual([
			100,
			"[info] line 50",
			"[info] line 149",
		]);
		const context = JSON.parse(String(row?.context)) as Record<string, unknown>;
		expect(context).toMatchObject({ payload: "[truncated]", route: "POST /api/checkout", user: { id: "u_123" } });
		// The answer is the error's fingerprint, the same as the stored row's.
		expect(((await res.json()) as { fingerprint: string }).fingerprint).toBe(row?.fingerprint);
	});

	it("records the sender on every table: x-deeptracer-sdk in `sdk`, empty without it", async () => {
		const k = await createKey();
		const span = {
			trace_id: "t",
			span_id: "s",
			operation: "op",
			start_time: "2026-12-03T10:16:10.004Z",
			duration_ms: 867.4,
		};
		const llm = {
			model: "gpt-4o",
			provider: "openai",
			operation: "chat",
			input_tokens: 1,
			output_tokens: 1,
			cost_usd: 0,
			latency_ms: 1,
		};
		expect((await send("/ingest/traces", k.key, span)).status).toBe(200);
		expect((await send("/ingest/llm", k.key, llm)).status).toBe(200);
		expect((await ingest("/ingest/llm", k.key, llm)).status).toBe(200);
		expect((await storedRows<Row>("spans", k.projectId)).map((r) => [r.sdk, r.duration_ms])).toEqual([
			["core/0.8.3", 867],
		]);
		expect((await storedRows<Row>("llm_usage", k.projectId)).map((r) => r.sdk).sort()).toEqual(["", "core/0.8.3"]);
	});
});
