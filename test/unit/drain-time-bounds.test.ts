import { describe, expect, it } from "vitest";
import { drainEntryToRow } from "../../src/ingest/vercel.ts";

const p = { projectId: "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", apiKeyId: "k", receivedAt: 0 };
const at = (ms: number) => drainEntryToRow({ message: "m", timestamp: ms }, p, "2026-12-02 00:00:00.000");

describe("drain entry times", () => {
	it("accept the whole of 2299-12-31, as SDK timestamps do (one bound for every route)", () => {
		expect(at(Date.UTC(2299, 11, 31, 12)).ok).toBe(true);
		expect(at(Date.UTC(2299, 11, 31, 23, 59, 59, 999)).ok).toBe(true);
		expect(at(Date.UTC(2300, 0, 1)).ok).toBe(false);
		expect(at(Date.UTC(1900, 0, 1)).ok).toBe(true);
		expect(at(Date.UTC(1900, 0, 1) - 1).ok).toBe(false);
	});
});
