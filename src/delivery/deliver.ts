import type { DeliveryOptions } from "../delivery/policy.ts";
import type { EventTable, Services } from "../ports.ts";
import { clip } from "../util/text.ts";
import { withTimeout } from "../util/timeout.ts";
import { backoffMs, classify } from "./policy.ts";

export interface DeliveryJob {
	table: EventTable;
	rows: object[];
	/** insert_deduplication_token of this chunk: retries and replays of it never store twice. */
	token: string;
	requestId: string;
}

export type DeliveryOutcome = "stored" | "spilled" | "lost" | "rejected";

export interface DeliveryReport {
	outcome: DeliveryOutcome;
	table: EventTable;
	rows: number;
	attempts: number;
	/** Rows per outcome when the chunk was split (a bad row does not block the others). */
	byOutcome: Partial<Record<DeliveryOutcome, number>>;
	error?: string;
}

const SPILL_TIMEOUT_MS = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A failure's text as reports and log lines carry it: bounded, never a stack. */
export const errorText = (err: unknown) => clip(err instanceof Error ? err.message : String(err), 300);

const SEVERITY: DeliveryOutcome[] = ["stored", "spilled", "rejected", "lost"];

/** The worst of several outcomes describes the whole (a split chunk, a request's chunks). */
export function worstOutcome(reports: readonly { outcome: DeliveryOutcome }[]): DeliveryOutcome {
	return SEVERITY[Math.max(0, ...reports.map((r) => SEVERITY.indexOf(r.outcome)))] as DeliveryOutcome;
}

/**
 * Writes one chunk: attempts within the budget for transient failures, then the spill; a chunk ClickHouse
 * refuses for its content is halved until the bad rows are isolated. Never throws.
 */
export async function deliver(
	job: DeliveryJob,
	services: Pick<Services, "events" | "spill">,
	opts: DeliveryOptions,
	now: () => number = Date.now,
): Promise<DeliveryReport> {
	const deadline = now() + opts.budgetMs;
	return attempt(job, services, opts, now, deadline);
}

async function attempt(
	job: DeliveryJob,
	services: Pick<Services, "events" | "spill">,
	opts: DeliveryOptions,
	now: () => number,
	deadline: number,
): Promise<DeliveryReport> {
	let attempts = 0;
	let lastError: unknown;
	for (;;) {
		const remaining = deadline - now();
		if (remaining <= 0) break;
		attempts++;
		try {
			await services.events.insert(job.table, job.rows, {
				token: job.token,
				timeoutMs: Math.min(opts.maxAttemptMs, remaining),
			});
			await services.spill.noteInsert(now()).catch(() => undefined);
			return report(job, "stored", attempts);
		} catch (err) {
			lastError = err;
			const kind = classify(err);
			if (kind === "data") return split(job, services, opts, now, deadline, attempts, err);
			if (kind === "persistent") break;
			const wait = backoffMs(attempts - 1, opts);
			if (now() + wait >= deadline) break;
			await sleep(wait);
		}
	}
	return spill(job, services, now, attempts, lastError);
}

async function split(
	job: DeliveryJob,
	services: Pick<Services, "events" | "spill">,
	opts: DeliveryOptions,
	now: () => number,
	deadline: number,
	attempts: number,
	err: unknown,
): Promise<DeliveryReport> {
	if (job.rows.length === 1) return { ...report(job, "rejected", attempts), error: errorText(err) };
	const mid = Math.ceil(job.rows.length / 2);
	const halves = [job.rows.slice(0, mid), job.rows.slice(mid)].map((rows, i) => ({
		...job,
		rows,
		token: `${job.token}.${i}`,
	}));
	const reports = await Promise.all(halves.map((half) => attempt(half, services, opts, now, deadline)));
	const byOutcome: DeliveryReport["byOutcome"] = {};
	for (const r of reports) {
		for (const [k, v] of Object.entries(r.byOutcome)) {
			byOutcome[k as DeliveryOutcome] = (byOutcome[k as DeliveryOutcome] ?? 0) + (v ?? 0);
		}
	}
	const outcome = worstOutcome(reports);
	return {
		outcome,
		table: job.table,
		rows: job.rows.length,
		attempts: attempts + reports.reduce((n, r) => n + r.attempts, 0),
		byOutcome,
		error: errorText(err),
	};
}

async function spill(
	job: DeliveryJob,
	services: Pick<Services, "spill">,
	now: () => number,
	attempts: number,
	cause: unknown,
): Promise<DeliveryReport> {
	try {
		const put = services.spill.put({
			id: `${job.token}:${crypto.randomUUID()}`,
			table: job.table,
			token: job.token,
			rows: job.rows,
			requestId: job.requestId,
			spilledAt: now(),
		});
		await withTimeout(put, SPILL_TIMEOUT_MS);
		return { ...report(job, "spilled", attempts), error: errorText(cause) };
	} catch (err) {
		return { ...report(job, "lost", attempts), error: `${errorText(cause)}; spill: ${errorText(err)}` };
	}
}

function report(job: DeliveryJob, outcome: DeliveryOutcome, attempts: number): DeliveryReport {
	return { outcome, table: job.table, rows: job.rows.length, attempts, byOutcome: { [outcome]: job.rows.length } };
}
