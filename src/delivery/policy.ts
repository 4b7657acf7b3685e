import { ClickHouseError } from "@clickhouse/client-web";
import type { DeliveryOptions } from "../context.ts";

export const DEFAULT_DELIVERY: DeliveryOptions = {
	budgetMs: 10_000,
	maxAttemptMs: 5_000,
	baseBackoffMs: 100,
	maxBackoffMs: 2_000,
};

/** Server-side conditions that pass: overload, timeouts, replicas and keeper, cancelled or unknown-status inserts. */
const TRANSIENT_CODES = new Set([
	"3", // UNEXPECTED_END_OF_FILE
	"159", // TIMEOUT_EXCEEDED
	"164", // READONLY
	"202", // TOO_MANY_SIMULTANEOUS_QUERIES
	"203", // NO_FREE_CONNECTION
	"209", // SOCKET_TIMEOUT
	"210", // NETWORK_ERROR
	"236", // ABORTED
	"241", // MEMORY_LIMIT_EXCEEDED
	"242", // TABLE_IS_READ_ONLY
	"252", // TOO_MANY_PARTS
	"285", // TOO_FEW_LIVE_REPLICAS
	"319", // UNKNOWN_STATUS_OF_INSERT
	"394", // QUERY_WAS_CANCELLED
	"425", // SYSTEM_ERROR
	"439", // CANNOT_SCHEDULE_TASK
	"999", // KEEPER_EXCEPTION
	"1000", // POCO_EXCEPTION
]);

/** The rows themselves are wrong: retrying or replaying them cannot help; split to isolate them. */
const DATA_CODES = new Set([
	"6", // CANNOT_PARSE_TEXT
	"25", // CANNOT_PARSE_ESCAPE_SEQUENCE
	"26", // CANNOT_PARSE_QUOTED_STRING
	"27", // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	"38", // CANNOT_PARSE_DATE
	"41", // CANNOT_PARSE_DATETIME
	"53", // TYPE_MISMATCH
	"69", // ARGUMENT_OUT_OF_BOUND
	"70", // CANNOT_CONVERT_TYPE
	"72", // CANNOT_PARSE_NUMBER
	"117", // INCORRECT_DATA
	"131", // TOO_LARGE_STRING_SIZE
	"321", // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
	"349", // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
	"376", // CANNOT_PARSE_UUID
]);

/**
 * transient: retry within the budget, then spill. data: the rows are at fault, isolate them.
 * persistent: the server refuses for a reason a retry will not fix now (auth, schema): spill at once for replay.
 */
export type FailureClass = "transient" | "data" | "persistent";

export function classify(err: unknown): FailureClass {
	if (err instanceof ClickHouseError) {
		if (TRANSIENT_CODES.has(err.code)) return "transient";
		if (DATA_CODES.has(err.code)) return "data";
		return "persistent";
	}
	// Network failures, timeouts, aborted attempts and 5xx without a ClickHouse body.
	return "transient";
}

/** Exponential backoff with full jitter. */
export function backoffMs(attempt: number, opts: DeliveryOptions, random = Math.random): number {
	return Math.floor(random() * Math.min(opts.maxBackoffMs, opts.baseBackoffMs * 2 ** attempt));
}
