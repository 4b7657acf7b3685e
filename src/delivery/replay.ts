import type { Services, SpilledChunkRef } from "../ports.ts";
import { errorText } from "./deliver.ts";
import { classify } from "./policy.ts";

export interface ReplayOptions {
	/** Chunks read per run. */
	maxChunks: number;
	/** Stop starting new inserts after this long (a scheduled run has 30 s of wall time after its last I/O). */
	deadlineMs: number;
	attemptTimeoutMs: number;
	/** Inserts in flight at once. */
	concurrency: number;
}

export const DEFAULT_REPLAY: ReplayOptions = {
	maxChunks: 500,
	deadlineMs: 20_000,
	attemptTimeoutMs: 5_000,
	concurrency: 4,
};

export interface ReplayReport {
	outcome: "replayed" | "busy" | "unavailable";
	chunks: number;
	rows: number;
	quarantined: number;
	remaining: number | null;
	error?: string;
}

/**
 * Moves spilled chunks into ClickHouse, oldest first, each with its own deduplication token, and removes a chunk
 * only once ClickHouse acknowledged it. Stops at the first transient failure (ClickHouse is still unwell).
 */
export async function replaySpill(
	services: Pick<Services, "events" | "spill">,
	opts: ReplayOptions = DEFAULT_REPLAY,
	now: () => number = Date.now,
): Promise<ReplayReport> {
	const started = now();
	const result: ReplayReport = { outcome: "replayed", chunks: 0, rows: 0, quarantined: 0, remaining: null };
	try {
		if (!(await services.spill.claimReplay(Math.ceil((opts.deadlineMs + opts.attemptTimeoutMs) / 1000) + 5)))
			return { ...result, outcome: "busy" };
	} catch (err) {
		return { ...result, outcome: "unavailable", error: errorText(err) };
	}
	try {
		const chunks = await services.spill.oldest(opts.maxChunks);
		// A few inserts at a time; the first transient failure stops new ones from starting.
		let stop = false;
		// Rows are read per chunk while replaying: a chunk can be megabytes.
		const replayOne = async (chunk: SpilledChunkRef) => {
			let rows: object[] | null;
			try {
				rows = await services.spill.rows(chunk);
				if (rows === null) {
					// Parts gone (Redis lost data): keep what is left for an operator, and count it.
					await services.spill.quarantine(chunk, "rows missing from the spill");
					result.quarantined++;
					return;
				}
				await services.events.insert(chunk.table, rows, { token: chunk.token, timeoutMs: opts.attemptTimeoutMs });
			} catch (err) {
				if (classify(err) !== "data") {
					stop = true;
					result.error = errorText(err);
					return;
				}
				await services.spill.quarantine(chunk, errorText(err));
				result.quarantined++;
				return;
			}
			await services.spill.remove(chunk.id);
			result.chunks++;
			result.rows += rows.length;
		};
		const queue = [...chunks];
		const worker = async () => {
			for (let chunk = queue.shift(); chunk && !stop && now() - started <= opts.deadlineMs; chunk = queue.shift()) {
				await replayOne(chunk);
			}
		};
		await Promise.all(Array.from({ length: opts.concurrency }, worker));
		if (result.chunks > 0) await services.spill.noteInsert(now()).catch(() => undefined);
		result.remaining = (await services.spill.stats()).depth;
	} catch (err) {
		result.outcome = "unavailable";
		result.error = errorText(err);
	} finally {
		await services.spill.releaseReplay().catch(() => undefined);
	}
	return result;
}
