import { type ClickHouseClient, createClient } from "@clickhouse/client-web";
import type { Config } from "../config.ts";
import type { EventTable, EventWriter, InsertOptions } from "../context.ts";

const INSERT_TIMEOUT_MS = 10_000;

export function createClickHouse(config: Config["clickhouse"]): ClickHouseClient {
	return createClient({
		url: config.url,
		username: config.user,
		password: config.password,
		database: config.database,
		request_timeout: INSERT_TIMEOUT_MS,
	});
}

/** Writes rows with server-side batching (async_insert) and waits for the server to confirm them. */
export class ClickHouseEventWriter implements EventWriter {
	readonly #client: ClickHouseClient;
	constructor(client: ClickHouseClient) {
		this.#client = client;
	}

	async insert(table: EventTable, rows: readonly object[], opts: InsertOptions = {}): Promise<void> {
		if (rows.length === 0) return;
		await this.#client.insert({
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
	}

	async ping(): Promise<void> {
		const result = await this.#client.ping();
		if (!result.success) throw result.error;
	}
}
