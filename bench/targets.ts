/**
 * The targets `npm run bench` judges PASS/MISS, with the previous round's figure beside each where the round's
 * measurements give one (the "previous round" column). A target here is a limit on the figure the table shows in its ratio or
 * value column; the bench never fails on one (a benchmark is not a test).
 */

export interface Target {
	limit: number;
	/** The previous round's figure ("" when none was measured). */
	previous: string;
}

/** Request path against its floor (JSON.parse + JSON.stringify of the body), by runtime and case (bench/cases.ts). */
export const PATH_TARGETS: Record<"workerd" | "node", Record<string, Target>> = {
	workerd: {
		logs50: { limit: 1.5, previous: "2.41×" },
		logs1000: { limit: 1.5, previous: "" },
		error40: { limit: 3, previous: "7.94×" },
		otlpTraces20: { limit: 3, previous: "not measured" },
	},
	node: {
		logs50: { limit: 1.5, previous: "1.67×" },
		logs1000: { limit: 1.5, previous: "" },
		error40: { limit: 3, previous: "3.93×" },
	},
};

/** 1 log against the bare Hono handler. */
export const FIXED_OVERHEAD: Record<"workerd" | "node", Target> = {
	workerd: { limit: 2, previous: "2.12×" },
	node: { limit: 2, previous: "" },
};

/** The gzipped bundle may not grow past what the round began with (KiB). */
export const BUNDLE_GZIP_KIB: Target = { limit: 140.9, previous: "123.5 KiB" };

/** The worker's startup (script compile and evaluation in workerd), ms. */
export const STARTUP_MS: Target = { limit: 15, previous: "29 ms (bare 6.7)" };

/** Peak memory of a 5 MB drain body, as a multiple of the body. */
export const DRAIN_PEAK: Target = { limit: 3, previous: "2.84× body" };
