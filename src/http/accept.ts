import type { Context } from "hono";
import { type DeliveryReport, deliver, worstOutcome } from "../delivery/deliver.ts";
import type { DeliveryOptions } from "../delivery/policy.ts";
import { clickhouseTime } from "../ingest/rows.ts";
import type { EventTable, Services } from "../ports.ts";
import type { AppEnv } from "./app-env.ts";
import { FailureError } from "./errors.ts";
import { firstAttempt, type Identity } from "./idempotency.ts";
import { type Reply, reply } from "./respond.ts";

/** Rows per ClickHouse insert: batches (a drain can bring thousands) are written in bounded chunks. */
export const CHUNK_ROWS = 1000;

export interface Write {
	table: EventTable;
	rows: object[];
}

/** Everything acknowledging a request needs, in one value: nothing is read from the context but how to answer. */
export interface Acknowledgement {
	writes: Write[];
	reply: Reply;
	/** Set when retries of the request are recognised (http/idempotency.ts). */
	identity: Identity | undefined;
	/** Unix ms the rows were stamped with (their received_at). */
	receivedAt: number;
	/** The body cannot yield a lone surrogate: the rows need no repair. */
	wellFormed: boolean;
	/** `?wait=true`: answer only once ClickHouse or the spill holds the rows. */
	wait: boolean;
	services: Pick<Services, "events" | "spill" | "idempotency">;
	delivery: DeliveryOptions;
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

/**
 * A retry's rows get its first attempt's time: received_at, and a log's timestamp where it was the time of receipt
 * (no time of its own). The same rows then, in the same partition, so the token drops them.
 */
function restamp(writes: Write[], from: number, to: number): void {
	const was = clickhouseTime(from);
	const now = clickhouseTime(to);
	for (const w of writes) {
		for (const row of w.rows as Record<string, unknown>[]) {
			row.received_at = now;
			if (row.timestamp === was) row.timestamp = now;
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

/** The rows of one request written (or recognised as a retry whose rows are held); the reports, or "held". */
async function write(a: Acknowledgement, requestId: string): Promise<DeliveryReport[] | "held"> {
	// The dedup identity is the server's: a fresh one per request, or the identified request's own (X-Request-Id,
	// the client's, is for correlation only and never decides what is stored).
	let base: string = crypto.randomUUID();
	const { identity, services } = a;
	if (identity) {
		const first = await firstAttempt(services.idempotency, identity.token, a.receivedAt);
		if (first.held) {
			console.log(JSON.stringify({ request_id: requestId, outcome: "retry_of_held", rows: 0 }));
			return "held";
		}
		if (first.receivedAt !== a.receivedAt) restamp(a.writes, a.receivedAt, first.receivedAt);
		base = identity.token;
		a.receivedAt = first.receivedAt;
	}
	if (!a.wellFormed) for (const w of a.writes) makeWellFormed(w.rows);
	const deliveries: Promise<DeliveryReport>[] = [];
	for (const w of a.writes) {
		for (let i = 0; i * CHUNK_ROWS < w.rows.length; i++) {
			const rows = w.rows.length <= CHUNK_ROWS ? w.rows : w.rows.slice(i * CHUNK_ROWS, (i + 1) * CHUNK_ROWS);
			deliveries.push(
				deliver({ table: w.table, rows, token: `${base}:${w.table}:${i}`, requestId }, services, a.delivery),
			);
		}
	}
	const reports = await Promise.all(deliveries);
	for (const r of reports) logReport(requestId, r);
	if (identity && reports.every((r) => r.outcome === "stored" || r.outcome === "spilled")) {
		await services.idempotency.markHeld(identity.token, a.receivedAt).catch(() => undefined);
	}
	return reports;
}

/**
 * Acknowledges the rows and writes them: in the background (waitUntil) by default, or before answering with
 * `?wait=true` (200 once ClickHouse or the spill holds them, 503 when neither could).
 */
export async function acknowledge(c: Context<AppEnv>, a: Acknowledgement): Promise<Response> {
	const written = write(a, c.get("requestId"));
	if (!a.wait) {
		c.executionCtx.waitUntil(written);
		return reply(c, a.reply);
	}
	const reports = await written;
	const event = c.get("event");
	if (reports === "held") {
		event.idempotency = "retry_of_held";
		return reply(c, a.reply);
	}
	const worst = worstOutcome(reports);
	event.delivery = worst;
	if (worst === "lost") throw new FailureError({ kind: "write_unavailable" });
	if (worst === "rejected") throw new FailureError({ kind: "internal" });
	return reply(c, a.reply);
}
