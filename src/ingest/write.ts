import type { Context } from "hono";
import type { AppEnv, EventTable } from "../context.ts";

/**
 * Hands the rows to the event store after the response (waitUntil). A failed write is never silent:
 * it is logged with the table, the row count and the outcome.
 */
export function writeInBackground(c: Context<AppEnv>, table: EventTable, rows: readonly object[]): void {
	const events = c.get("services").events;
	const requestId = c.get("requestId");
	const started = Date.now();
	const write = events.insert(table, rows).then(
		() => {
			console.log(
				JSON.stringify({
					request_id: requestId,
					outcome: "stored",
					table,
					rows: rows.length,
					ms: Date.now() - started,
				}),
			);
		},
		(err: unknown) => {
			console.error(
				JSON.stringify({
					request_id: requestId,
					outcome: "clickhouse_failed",
					table,
					rows: rows.length,
					error: err instanceof Error ? err.message.slice(0, 500) : String(err),
				}),
			);
		},
	);
	c.executionCtx.waitUntil(write);
}

export function provenance(c: Context<AppEnv>, now: number) {
	const key = c.get("apiKey");
	return { projectId: key.projectId, apiKeyId: key.id, receivedAt: now };
}
