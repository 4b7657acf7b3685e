import { InsertError, type InsertFailure } from "../ports.ts";

export interface DeliveryOptions {
	/** Total time for attempts before the rows go to the spill; well under the 30 s waitUntil cut. */
	budgetMs: number;
	maxAttemptMs: number;
	baseBackoffMs: number;
	maxBackoffMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
	budgetMs: 10_000,
	maxAttemptMs: 5_000,
	baseBackoffMs: 100,
	maxBackoffMs: 2_000,
};

/** How delivery treats a failed insert: the writer's own verdict, else transient (a network failure, a timeout). */
export function classify(err: unknown): InsertFailure {
	return err instanceof InsertError ? err.kind : "transient";
}

/** Exponential backoff with full jitter. */
export function backoffMs(attempt: number, opts: DeliveryOptions, random = Math.random): number {
	return Math.floor(random() * Math.min(opts.maxBackoffMs, opts.baseBackoffMs * 2 ** attempt));
}
