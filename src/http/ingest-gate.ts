import type { Context, Next } from "hono";
import { BudgetStore } from "../ratelimit/budget.ts";
import type { EdgeLimits } from "../ratelimit/edge.ts";
import type { AppEnv, Deps } from "./app-env.ts";
import { authenticate } from "./auth.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import { corsHeaders, originAllowed, preflight } from "./cors.ts";
import { FailureError } from "./errors.ts";
import { currentLimitHeaders, rateLimit } from "./rate-limit.ts";
import { attachServices } from "./services.ts";

// Isolate-lifetime: every key's rate-limit budget in this isolate (plain numbers shared by its requests).
const isolateBudgets = new BudgetStore();
/** How long a request waits for Redis to decide its limit before it goes through (fail open). */
const SYNC_TIMEOUT_MS = 300;

export interface GateOptions {
	/** The route's body limit: a larger declared body is refused before any I/O (the stream is still counted when read). */
	maxBodyBytes: number;
}

/**
 * What every authenticated ingest route (/ingest/*, /v1/*) runs first, as one middleware (one step of the
 * router's chain instead of six): CORS → declared size → services → key → origin → rate limit. A key known to
 * the isolate and under its limit (or over it) passes without awaiting anything.
 */
export function ingestGate(deps: Deps, options: GateOptions = { maxBodyBytes: MAX_BODY_BYTES }) {
	const now = deps.now;
	const maxBytes = options.maxBodyBytes;
	const attach = attachServices(deps);
	const budgets = deps.limits?.budgets ?? isolateBudgets;
	const syncTimeoutMs = deps.limits?.syncTimeoutMs ?? SYNC_TIMEOUT_MS;
	return async function ingestGate(c: Context<AppEnv>, next: Next): Promise<Response | undefined> {
		const origin = c.req.header("origin");
		if (origin !== undefined) corsHeaders(c, origin);
		if (c.req.method === "OPTIONS") return preflight(c, origin);
		if (Number(c.req.header("content-length")) > maxBytes)
			throw new FailureError({ kind: "payload_too_large", maxBytes });
		attach(c);
		const limits: EdgeLimits = {
			limiter: c.get("services").limiter,
			budgets,
			flushMs: deps.limits?.flushMs ?? c.get("config").rateLimitFlushMs,
			syncTimeoutMs,
			// The library's windows run on the real clock, so budgets do too.
			now: Date.now,
			defer: (work) => c.executionCtx.waitUntil(work),
		};
		const authenticated = authenticate(c, now(), limits);
		const caller = authenticated instanceof Promise ? await authenticated : authenticated;
		if (origin !== undefined && !originAllowed(origin, caller.record.allowedOrigins)) {
			await currentLimitHeaders(c, caller, limits);
			throw new FailureError({ kind: "origin_refused" });
		}
		const limited = rateLimit(c, caller, limits);
		if (limited) await limited;
		await next();
	};
}
