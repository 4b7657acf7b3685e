import type { ClickHouseClient } from "@clickhouse/client-web";
import type { Config } from "../config.ts";
import { type EventTable, type EventWriter, InsertError, type InsertFailure, type InsertOptions } from "../ports.ts";

const INSERT_TIMEOUT_MS = 10_000;

type ClickHouseModule = typeof import("@clickhouse/client-web");
type ClickHouseErrorClass = ClickHouseModule["ClickHouseError"];

/**
 * The client and its error class, made on first use. Nothing a request awaits needs ClickHouse (its rows are written
 * in waitUntil, after the answer), so the client's modules are loaded then, not at startup, where they were a tenth
 * of what a new isolate evaluates. A dynamic import() is evaluated lazily in the bundle.
 */
export type ClickHouseLoader = () => Promise<{ client: ClickHouseClient; ClickHouseError: ClickHouseErrorClass }>;

export function createClickHouse(config: Config["clickhouse"]): ClickHouseLoader {
	let made: Awaited<ReturnType<ClickHouseLoader>> | undefined;
	return async () => {
		if (made === undefined) {
			const { createClient, ClickHouseError } = await import("@clickhouse/client-web");
			const client = createClient({
				url: config.url,
				username: config.user,
				password: config.password,
				database: config.database,
				request_timeout: INSERT_TIMEOUT_MS,
			});
			made ??= { client, ClickHouseError };
		}
		return made;
	};
}

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

/** What a failed insert means for delivery (ports.ts InsertFailure), read from the client's error (of its class). */
export function insertFailure(err: unknown, ClickHouseError: ClickHouseErrorClass): InsertFailure {
	if (err instanceof ClickHouseError) {
		if (TRANSIENT_CODES.has(err.code)) return "transient";
		if (DATA_CODES.has(err.code)) return "data";
		return "persistent";
	}
	// Network failures, timeouts, aborted attempts and 5xx without a ClickHouse body.
	return "transient";
}

/** Writes rows with server-side batching (async_insert) and waits for the server to confirm them. */
export class ClickHouseEventWriter implements EventWriter {
	readonly #clickhouse: ClickHouseLoader;
	constructor(clickhouse: ClickHouseLoader) {
		this.#clickhouse = clickhouse;
	}

	async insert(table: EventTable, rows: readonly object[], opts: InsertOptions = {}): Promise<void> {
		if (rows.length === 0) return;
		const { client, ClickHouseError } = await this.#clickhouse();
		try {
			await client.insert({
				table,
				values: rows as object[],
				format: "JSONEachRow",
				abort_signal: opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs),
				clickhouse_settings: {
					async_insert: 1,
					wait_for_async_insert: 1,
					...(opts.token === undefined
						? {}
						: { insert_deduplication_token: opts.token, async_insert_deduplicate: 1, insert_deduplicate: 1 }),
				},
			});
		} catch (err) {
			throw new InsertError(insertFailure(err, ClickHouseError), err instanceof Error ? err.message : String(err));
		}
	}

	async ping(): Promise<void> {
		const result = await (await this.#clickhouse()).client.ping();
		if (!result.success) throw result.error;
	}
}
