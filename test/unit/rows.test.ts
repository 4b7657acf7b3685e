import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clickhouseTime, isoTime } from "../../src/ingest/rows.ts";

describe("clickhouseTime", () => {
	it("formats any time ClickHouse can store exactly as the ISO form does", () => {
		const reference = (ms: number) => {
			const iso = new Date(ms).toISOString();
			return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
		};
		for (const ms of [
			0,
			Date.UTC(1900, 0, 1),
			Date.UTC(2299, 11, 31, 23, 59, 59, 999),
			Date.UTC(2026, 1, 23),
			-1,
			86_399_999,
		]) {
			expect(clickhouseTime(ms)).toBe(reference(ms));
		}
		fc.assert(
			fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2299, 11, 31, 23, 59, 59, 999) }), (ms) => {
				expect(clickhouseTime(ms)).toBe(reference(ms));
				expect(isoTime(ms)).toBe(new Date(ms).toISOString());
			}),
			{ numRuns: 20_000, seed: 42 },
		);
	});
});
