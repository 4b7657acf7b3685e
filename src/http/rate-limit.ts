import type { Context } from "hono";
import type { View } from "../ratelimit/budget.ts";
import { admit, type EdgeLimits, type LimitDecision, settlePrimed } from "../ratelimit/edge.ts";
import type { AppEnv } from "./app-env.ts";
import type { Caller } from "./auth.ts";
import { FailureError } from "./errors.ts";
import { setHeader } from "./respond.ts";

/**
 * Per-key sliding window decided on the isolate's budget (src/ratelimit/): X-RateLimit-* on every authenticated
 * response, 429 with Retry-After past the limit, 503 with Retry-After when Redis cannot be asked and the isolate's
 * allowance without an answer is used up (src/ratelimit/budget.ts). Synchronous for a known key under its limit or over it.
 */
export function rateLimit(c: Context<AppEnv>, caller: Caller, limits: EdgeLimits): void | Promise<void> {
	const perMinute = limitOf(c, caller);
	const decided = caller.primed
		? caller.primed.then((primed) => settlePrimed(caller.keyHash, perMinute, primed, limits))
		: admit(caller.keyHash, perMinute, limits);
	if (decided instanceof Promise) return decided.then((d) => enforce(c, d, limits.now()));
	enforce(c, decided, limits.now());
}

function enforce(c: Context<AppEnv>, decision: LimitDecision, now: number): void {
	if (decision.failedOpen && decision.admitted) c.get("event").rate_limit_failed_open = true;
	rateLimitHeaders(c, decision.view);
	if (decision.unavailable) throw new FailureError({ kind: "limit_unavailable" });
	if (!decision.admitted) {
		const retryAfterSeconds = Math.max(1, Math.ceil((decision.view.reset - now) / 1000));
		throw new FailureError({ kind: "rate_limited", retryAfterSeconds });
	}
}

/** On the context before the response exists: the success, the 429 and any later error all carry them. */
function rateLimitHeaders(c: Context<AppEnv>, view: View): void {
	setHeader(c, "X-RateLimit-Limit", String(view.limit));
	setHeader(c, "X-RateLimit-Remaining", String(view.remaining));
	setHeader(c, "X-RateLimit-Reset", String(Math.ceil(view.reset / 1000)));
}

/** A refusal before the limit is decided (a refused origin) still carries the key's current view, spending nothing. */
export async function currentLimitHeaders(c: Context<AppEnv>, caller: Caller, limits: EdgeLimits): Promise<void> {
	if (caller.primed) await caller.primed.catch(() => undefined);
	const perMinute = limitOf(c, caller);
	const budget = limits.budgets.get(caller.keyHash, perMinute);
	const now = limits.now();
	budget.relimit(perMinute, now);
	rateLimitHeaders(c, budget.view(now));
}

/** The key's own limit, else the configured default. */
const limitOf = (c: Context<AppEnv>, caller: Caller) => caller.record.rateLimit ?? c.get("config").rateLimitPerMinute;
