import { describe, expect, it } from "vitest";
import { createKey, ingest, storedRows } from "./helpers.ts";

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
