import type { RateLimiter } from "../ports.ts";
import { afterResponse } from "../util/after-response.ts";
import { waitWhile } from "../util/wait.ts";
import type { Budget, BudgetStore, Call, LimitAnswer, View } from "./budget.ts";

/** How rate limits are decided at the edge (README "Rate limits at the edge"): what createApp's deps may set. */
export interface LimitOptions {
	/** Budgets of this isolate (module scope in production; each test app may have its own, as isolates do). */
	budgets: BudgetStore;
	/** The longest a locally admitted request waits before it is reported to Redis (T). */
	flushMs: number;
	/** How long a request waits for Redis before it goes through (fail open). */
	syncTimeoutMs: number;
}

/** How one request's rate limit came out. */
export interface LimitDecision {
	admitted: boolean;
	/** Redis could not be asked in time (or failed lately): the request went through and is counted locally. */
	failedOpen: boolean;
	/**
	 * Refused because the limit cannot be checked: Redis is not answering and this isolate already holds as many
	 * admissions of the key as it may without an answer (503 with Retry-After, which clients retry).
	 */
	unavailable?: true;
	view: View;
}

export interface EdgeLimits {
	limiter: RateLimiter;
	budgets: BudgetStore;
	/** T: the longest an admission waits before it is reported to Redis. */
	flushMs: number;
	/** How long a request waits on Redis before it goes through uncounted by Redis (fail open). */
	syncTimeoutMs: number;
	now(): number;
	/** The request's waitUntil: reports and late answers run after the response. */
	defer(work: Promise<unknown>): void;
}

/** How often a request waiting for another request's call looks at the budget again. */
const POLL_MS = 2;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Decides a request on the key's budget: synchronously (no I/O) when the budget is known and not spent, or when
 * the key is over its limit; otherwise after one call to the shared count, which concurrent requests of the key
 * wait for instead of calling too.
 */
export function admit(id: string, limit: number, deps: EdgeLimits): LimitDecision | Promise<LimitDecision> {
	const budget = deps.budgets.get(id, limit);
	const now = deps.now();
	budget.relimit(limit, now);
	switch (budget.verdict(now)) {
		case "blocked":
			return { admitted: false, failedOpen: false, view: budget.view(now) };
		case "admit":
			return admitHere(id, budget, deps, false);
		case "fail_open":
			return admitHere(id, budget, deps, true);
		case "unavailable":
			// The held admissions are reported on the timer: the first answer ends the hold, without waiting it out.
			armTimer(id, budget, deps);
			return unavailable(budget, now);
		case "sync":
			return sync(id, budget, deps);
		case "wait":
			return waitForCall(id, limit, budget, deps);
	}
}

/**
 * A key new to the isolate, before its record is known: when nobody is asking Redis for it yet, asks with the
 * default limit alongside the key lookup (one round trip for both). Undefined when there is nothing to start.
 */
export function prime(id: string, defaultLimit: number, deps: EdgeLimits): Promise<LimitDecision> | undefined {
	const budget = deps.budgets.get(id, defaultLimit);
	return budget.verdict(deps.now()) === "sync" ? sync(id, budget, deps) : undefined;
}

/** The decision of a primed call, once the key's own limit is known. */
export function settlePrimed(
	id: string,
	limit: number,
	primed: LimitDecision,
	deps: EdgeLimits,
): LimitDecision | Promise<LimitDecision> {
	const budget = deps.budgets.get(id, limit);
	const now = deps.now();
	if (primed.failedOpen) {
		budget.relimit(limit, now);
		if (budget.blockedUntil > now) return { admitted: false, failedOpen: false, view: budget.view(now) };
		// Decided under the default's cap: the key's own cap (its count is among the pending) decides instead.
		return primed.admitted && budget.admitsOpen() ? { ...primed, view: budget.view(now) } : unavailable(budget, now);
	}
	if (limit === budget.limit) {
		budget.relimit(limit, now);
		return { ...primed, view: budget.view(now) };
	}
	budget.relimit(limit, now);
	// Counted under the default: still admitted unless the key's own (lower) limit is now exceeded.
	if (primed.admitted) return { admitted: budget.blockedUntil <= now, failedOpen: false, view: budget.view(now) };
	// Refused under the default but the key's limit is higher (rare): decide again on the corrected budget.
	return admit(id, limit, deps);
}

function unavailable(budget: Budget, now: number): LimitDecision {
	return { admitted: false, failedOpen: true, unavailable: true, view: budget.view(now) };
}

/** A request whose call failed or timed out: through while the isolate's unanswered admissions stay within U. */
function admitOpen(budget: Budget, now: number): LimitDecision {
	return budget.admitsOpen() ? { admitted: true, failedOpen: true, view: budget.view(now) } : unavailable(budget, now);
}

function admitHere(id: string, budget: Budget, deps: EdgeLimits, failedOpen: boolean): LimitDecision {
	const due = budget.admitLocally(deps.now());
	// While Redis is failing, reports go out on the timer only: no call per request to a store that is down.
	if (due && !failedOpen) {
		if (!budget.flushQueued) {
			budget.flushQueued = true;
			afterResponse(deps.defer, () => {
				budget.flushQueued = false;
				return flush(id, budget, deps);
			});
		}
	} else armTimer(id, budget, deps);
	return { admitted: true, failedOpen, view: budget.view(deps.now()) };
}

function armTimer(id: string, budget: Budget, deps: EdgeLimits): void {
	if (budget.timerArmed) return;
	budget.timerArmed = true;
	deps.defer(
		sleep(deps.flushMs).then(() => {
			budget.timerArmed = false;
			return flush(id, budget, deps);
		}),
	);
}

/** Reports what is unsent; the answer refreshes the budget. Never awaited by a request. */
function flush(id: string, budget: Budget, deps: EdgeLimits): Promise<void> {
	const call = budget.beginFlush();
	if (call === null) return Promise.resolve();
	return deps.limiter.limit(id, budget.limit, call.rate).then(
		(answer) => budget.settle(call, answer, false),
		() => budget.fail(call, false, deps.now()),
	);
}

async function sync(id: string, budget: Budget, deps: EdgeLimits): Promise<LimitDecision> {
	const call: Call = budget.beginSync();
	const answered: Promise<LimitAnswer | Error> = deps.limiter.limit(id, budget.limit, call.rate).then(
		(answer) => {
			budget.settle(call, answer, true);
			return answer;
		},
		(err: unknown) => {
			budget.fail(call, true, deps.now());
			return err instanceof Error ? err : new Error(String(err));
		},
	);
	// A late answer still lands in the budget after this request stopped waiting for it.
	deps.defer(answered);
	let timer: ReturnType<typeof setTimeout> | null = null;
	const outcome = await Promise.race([
		answered,
		new Promise<"timeout">((resolve) => {
			timer = setTimeout(() => resolve("timeout"), deps.syncTimeoutMs);
		}),
	]);
	if (timer !== null) clearTimeout(timer);
	const now = deps.now();
	if (outcome === "timeout") {
		// Its count stays in the call still in flight, whose late answer lands in the budget.
		budget.timedOut(now);
		return admitOpen(budget, now);
	}
	// A failed call already put this request among the unsent (reported later, whatever is decided here).
	if (outcome instanceof Error) return admitOpen(budget, now);
	return { admitted: outcome.success, failedOpen: false, view: budget.view(now) };
}

/** Waits (on this request's own timers) for another request's call to answer, then decides on its answer. */
async function waitForCall(id: string, limit: number, budget: Budget, deps: EdgeLimits): Promise<LimitDecision> {
	// Counted in waits, not read from a clock: a test's frozen clock must not make this wait forever.
	await waitWhile(() => budget.syncing, deps.syncTimeoutMs, POLL_MS);
	// Still unanswered: the hold begins, and the request is decided on it (through within U, else 503), not waited again.
	if (budget.syncing) budget.timedOut(deps.now());
	return admit(id, limit, deps);
}
