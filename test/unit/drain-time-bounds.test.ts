import { describe, expect, it } from "vitest";
import { drainEntryToRow } from "../../src/ingest/vercel.ts";

const p = { projectId: "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", apiKeyId: "k", receivedAt: 0, sdk: "" };
const at = (ms: number) => {
	const r = drainEntryToRow({ message: "m", timestamp: ms }, p, "2026-12-02 00:00:00.000");
	if (!r.ok) throw new Error(r.reason);
	return { timestamp: r.row.timestamp, truncated: r.row.truncated };
};

describe("drain entry times", () => {
	it("keep the whole of 1900-2299 as sent (one bound for every route), and the rest at its nearest end, listed", () => {
		expect(at(Date.UTC(2299, 11, 31, 12))).toEqual({ timestamp: "2299-12-31 12:00:00.000", truncated: [] });
		expect(at(Date.UTC(2299, 11, 31, 23, 59, 59, 999)).truncated).toEqual([]);
		expect(at(Date.UTC(2300, 0, 1))).toEqual({ timestamp: "2299-12-31 23:59:59.999", truncated: ["timestamp"] });
		expect(at(Date.UTC(1900, 0, 1)).truncated).toEqual([]);
		expect(at(Date.UTC(1900, 0, 1) - 1)).toEqual({ timestamp: "1900-01-01 00:00:00.000", truncated: ["timestamp"] });
	});
});
