import type { Context } from "hono";
import type { AppEnv, EventTable } from "../context.ts";
import { type DeliveryReport, deliver, worstOutcome } from "../delivery/deliver.ts";
import { FailureError } from "./errors.ts";
import { json, setHeader } from "./respond.ts";

/** Rows per ClickHouse insert: batches (a drain can bring thousands) are written in bounded chunks. */
export const CHUNK_ROWS = 1000;

export interface Write {
	table: EventTable;
	rows: object[];
}

export function provenance(c: Context<AppEnv>, now: number) {
	const key = c.get("apiKey");
	// A retry of an idempotent request carries its first attempt's time: the same rows, the same partition, so
	// ClickHouse's token (which acts within a partition) drops it even across midnight.
	return { projectId: key.projectId, apiKeyId: key.id, receivedAt: c.get("idempotency")?.receivedAt ?? now };
}

/**
 * Lone UTF-16 surrogates (a truncated emoji, a fuzzer) cannot be encoded as UTF-8 and ClickHouse refuses the
 * whole insert for them: replace them with U+FFFD, as any UTF-8 encoder does, before the rows leave.
 */
function makeWellFormed(rows: object[]): void {
	for (const row of rows as Record<string, unknown>[]) {
		for (const key in row) {
			const value = row[key];
			if (typeof value === "string" && !value.isWellFormed()) row[key] = value.toWellFormed();
		}
	}
}

/** Retries, spills, refusals and losses get a line of their own; a first-attempt store is the wide event's `count`. */
function logReport(requestId: string, r: DeliveryReport): void {
	if (r.outcome === "stored" && r.attempts === 1) return;
	const line = JSON.stringify({
		request_id: requestId,
		outcome: r.outcome,
		table: r.table,
		rows: r.rows,
		attempts: r.attempts,
		by_outcome: r.byOutcome,
		...(r.error ? { error: r.error } : {}),
	});
	// Lost rows are the one failure nobody can recover: loud, on the error stream, with counts.
	if (r.outcome === "lost" || r.outcome === "rejected") console.error(line);
	else console.log(line);
}

/**
 * Acknowledges the rows and writes them: in the background (waitUntil) by default, or before answering with
 * `?wait=true` (200 once ClickHouse or the spill holds them, 503 when neither could).
 */
export async function accept(c: Context<AppEnv>, writes: Write[], body: object): Promise<Response> {
	const requestId = c.get("requestId");
	const idempotent = c.get("idempotency");
	if (idempotent) setHeader(c, "Idempotency-Key", idempotent.key);
	if (idempotent?.held) {
		// A retry of a request whose rows are already held: the same answer, nothing written.
		c.get("event").idempotency = "retry_of_held";
		return json(c, body);
	}
	// The dedup identity is the server's: a fresh one per request, or the idempotent request's own (X-Request-Id,
	// the client's, is for correlation only and never decides what is stored).
	const base = idempotent?.token ?? crypto.randomUUID();
	const services = c.get("services");
	const opts = c.get("delivery");
	if (!c.get("wellFormed")) for (const w of writes) makeWellFormed(w.rows);
	const deliveries: Promise<DeliveryReport>[] = [];
	for (const w of writes) {
		for (let i = 0; i * CHUNK_ROWS < w.rows.length; i++) {
			const rows = w.rows.length <= CHUNK_ROWS ? w.rows : w.rows.slice(i * CHUNK_ROWS, (i + 1) * CHUNK_ROWS);
			deliveries.push(deliver({ table: w.table, rows, token: `${base}:${w.table}:${i}`, requestId }, services, opts));
		}
	}
	const delivery = Promise.all(deliveries).then(async (reports) => {
		for (const r of reports) logReport(requestId, r);
		if (idempotent && reports.every((r) => r.outcome === "stored" || r.outcome === "spilled")) {
			await services.idempotency.markHeld(idempotent.token, idempotent.receivedAt).catch(() => undefined);
		}
		return reports;
	});

	if (c.req.query("wait") !== "true") {
		c.executionCtx.waitUntil(delivery);
		return json(c, body);
	}
	const reports = await delivery;
	const worst = worstOutcome(reports);
	c.get("event").delivery = worst;
	if (worst === "lost") throw new FailureError({ kind: "write_unavailable" });
	if (worst === "rejected") throw new FailureError({ kind: "internal" });
	return json(c, body);
}
