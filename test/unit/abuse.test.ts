import { describe, expect, it } from "vitest";
import {
	AUTH_FAILURES_PER_MINUTE,
	lookupsThrottled,
	recordLookupFailure,
	throttledForSeconds,
	windowStartOf,
} from "../../src/auth/abuse.ts";

// The throttle's arithmetic on a clock of the test's own (module state: every test uses addresses of its own).
const keyCache = { recordAuthFailure: async () => undefined } as never;
const MINUTE = windowStartOf(1_800_000_000_000);

/** Throttled past the once-a-second lookup: the first ask of a second may take that lookup, the second may not. */
const throttled = (ip: string, now: number) => {
	lookupsThrottled(ip, undefined, now);
	return lookupsThrottled(ip, undefined, now);
};

describe("the failed-lookup throttle", () => {
	it("reads the minute before as a sliding window, and Retry-After says when the address is under its allowance", async () => {
		const ip = "unit-sliding";
		for (let i = 0; i < 40; i++) await recordLookupFailure(ip, { keyCache }, MINUTE + 10_000);
		expect(throttled(ip, MINUTE + 10_000)).toBe(true);
		// 40 in one minute: under 30 again once a quarter of them has slid out of the next (75 s after its start).
		expect(throttledForSeconds(ip, MINUTE + 10_000)).toBe(65);
		expect(throttled(ip, MINUTE + 60_000 + 14_000)).toBe(true);
		expect(throttled(ip, MINUTE + 60_000 + 16_000)).toBe(false);
	});

	it("counts what Redis saw from other isolates, this minute and the one before", () => {
		const ip = "unit-shared";
		const now = MINUTE + 30_000;
		// 10 here now, 40 the minute before: 10 + 40 × 1/2 = 30.
		expect(lookupsThrottled(ip, { current: 10, previous: 40 }, now)).toBe(false); // the second's one lookup
		expect(lookupsThrottled(ip, { current: 10, previous: 40 }, now)).toBe(true);
		expect(throttledForSeconds(ip, now)).toBe(1);
		expect(lookupsThrottled(ip, { current: 0, previous: 0 }, now + 1_000)).toBe(false);
		expect(lookupsThrottled(ip, { current: 0, previous: 0 }, now + 1_000)).toBe(false);
	});

	it("gives each address its own lookup a second", async () => {
		const now = MINUTE + 5_000;
		for (const ip of ["unit-a", "unit-b"])
			for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) await recordLookupFailure(ip, { keyCache }, now);
		expect(lookupsThrottled("unit-a", undefined, now)).toBe(false);
		expect(lookupsThrottled("unit-a", undefined, now)).toBe(true);
		expect(lookupsThrottled("unit-b", undefined, now)).toBe(false);
		expect(lookupsThrottled("unit-b", undefined, now + 999)).toBe(true);
		expect(lookupsThrottled("unit-b", undefined, now + 1_000)).toBe(false);
	});
});
