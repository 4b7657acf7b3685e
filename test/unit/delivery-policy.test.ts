import { ClickHouseError } from "@clickhouse/client-web";
import { describe, expect, it } from "vitest";
import { backoffMs, classify, type DeliveryOptions } from "../../src/delivery/policy.ts";
import { InsertError, type InsertFailure } from "../../src/ports.ts";
import { insertFailure } from "../../src/services/clickhouse.ts";

// What a failed insert becomes: retried (transient), split to isolate bad rows (data), or spilled at once for
// replay (persistent). A wrong class either drops good rows or retries forever.

const ch = (code: string, type: string) =>
	new ClickHouseError({ message: `Code: ${code}. DB::Exception: …`, code, type });

describe("insertFailure (the ClickHouse writer's verdict) and classify (what delivery does with it)", () => {
	it.each<[string, unknown, InsertFailure]>([
		["timeout", ch("159", "TIMEOUT_EXCEEDED"), "transient"],
		["too many simultaneous queries", ch("202", "TOO_MANY_SIMULTANEOUS_QUERIES"), "transient"],
		["memory limit", ch("241", "MEMORY_LIMIT_EXCEEDED"), "transient"],
		["too many parts", ch("252", "TOO_MANY_PARTS"), "transient"],
		["unknown status of insert", ch("319", "UNKNOWN_STATUS_OF_INSERT"), "transient"],
		["keeper", ch("999", "KEEPER_EXCEPTION"), "transient"],
		["unparsable text", ch("6", "CANNOT_PARSE_TEXT"), "data"],
		["unparsable datetime", ch("41", "CANNOT_PARSE_DATETIME"), "data"],
		["type mismatch", ch("53", "TYPE_MISMATCH"), "data"],
		["string too large", ch("131", "TOO_LARGE_STRING_SIZE"), "data"],
		["value out of range", ch("321", "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE"), "data"],
		["unparsable UUID", ch("376", "CANNOT_PARSE_UUID"), "data"],
		["authentication", ch("516", "AUTHENTICATION_FAILED"), "persistent"],
		["unknown table", ch("60", "UNKNOWN_TABLE"), "persistent"],
		["no such column", ch("16", "NO_SUCH_COLUMN_IN_TABLE"), "persistent"],
		["access denied", ch("497", "ACCESS_DENIED"), "persistent"],
		["a network failure", new TypeError("fetch failed"), "transient"],
		["an aborted attempt", new DOMException("The operation was aborted", "AbortError"), "transient"],
		["a 5xx without a ClickHouse body", new Error("502 Bad Gateway"), "transient"],
		["a non-Error", "boom", "transient"],
	])("%s: %s", (_, err, expected) => {
		expect(insertFailure(err, ClickHouseError)).toBe(expected);
		// The writer rejects with the verdict; delivery reads it from there, and takes anything else as transient.
		expect(classify(new InsertError(insertFailure(err, ClickHouseError), "x"))).toBe(expected);
		expect(classify(err)).toBe("transient");
	});
});

describe("backoffMs", () => {
	const opts: DeliveryOptions = { budgetMs: 10_000, maxAttemptMs: 5_000, baseBackoffMs: 100, maxBackoffMs: 2_000 };
	const almostOne = () => 0.999_999;

	it.each<[number, number]>([
		[0, 99],
		[1, 199],
		[2, 399],
		[4, 1599],
		[5, 1999],
		[60, 1999],
		[2000, 1999],
	])("attempt %i waits at most %i ms", (attempt, ceiling) => {
		expect(backoffMs(attempt, opts, almostOne)).toBe(ceiling);
		expect(backoffMs(attempt, opts, () => 0)).toBe(0);
		expect(backoffMs(attempt, opts, () => 0.5)).toBe(Math.floor((ceiling + 1) / 2));
	});
});
