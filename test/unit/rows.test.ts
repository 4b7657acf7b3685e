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

	it("formats times of a few days in any order (the dates it remembers) as the ISO form does", () => {
		const reference = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 23);
		const days = [Date.UTC(2026, 10, 26), Date.UTC(2026, 11, 3), Date.UTC(1999, 11, 31), Date.UTC(2000, 0, 1)];
		const time = fc.tuple(fc.constantFrom(...days), fc.nat(86_399_999)).map(([day, ms]) => day + ms);
		fc.assert(
			fc.property(fc.array(time, { minLength: 1, maxLength: 12 }), (times) => {
				for (const ms of times) expect(clickhouseTime(ms)).toBe(reference(ms));
			}),
			{ numRuns: 2_000, seed: 42 },
		);
	});
});

describe("clickhouseTime, literally", () => {
	// Written out, so a shared mistake with toISOString (or the reference above) cannot hide.
	it.each<[string, number, string]>([
		["the epoch", 0, "1970-01-01 00:00:00.000"],
		["a millisecond before the epoch", -1, "1969-12-31 23:59:59.999"],
		["the first time stored", Date.UTC(1900, 0, 1), "1900-01-01 00:00:00.000"],
		["the last time stored", Date.UTC(2299, 11, 31, 23, 59, 59, 999), "2299-12-31 23:59:59.999"],
		["a leap day", Date.UTC(2024, 1, 29, 12, 34, 56, 789), "2024-02-29 12:34:56.789"],
		["padding", Date.UTC(2026, 0, 2, 3, 4, 5, 6), "2026-01-02 03:04:05.006"],
		["two-digit milliseconds", Date.UTC(2026, 10, 26, 8, 0, 0, 45), "2026-11-26 08:00:00.045"],
		["the last millisecond of a day", Date.UTC(2026, 10, 26, 23, 59, 59, 999), "2026-11-26 23:59:59.999"],
	])("%s", (_, ms, expected) => {
		expect(clickhouseTime(ms)).toBe(expected);
	});

	it("formats the date of each row, across the day it remembers", () => {
		const day1 = Date.UTC(2026, 10, 26, 23, 59, 59, 999);
		expect([day1, day1 + 1, day1, day1 + 86_400_000].map(clickhouseTime)).toEqual([
			"2026-11-26 23:59:59.999",
			"2026-11-27 00:00:00.000",
			"2026-11-26 23:59:59.999",
			"2026-11-27 23:59:59.999",
		]);
	});
});
