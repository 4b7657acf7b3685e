import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { FailureError } from "./errors.ts";
import { setHeader } from "./respond.ts";

/** Per-key sliding window; X-RateLimit-* on every authenticated response, 429 with Retry-After past the limit. */
export async function rateLimit(c: Context<AppEnv>, now: () => number): Promise<void> {
	const key = c.get("apiKey");
	const perMinute = key.rateLimit ?? c.get("config").rateLimitPerMinute;
	const decision = await c.get("services").limiter.limit(key.id, perMinute);
	if (decision.failedOpen) c.get("event").rate_limit_failed_open = true;
	// On the context before the response exists: the success, the 429 and any later error all carry them.
	setHeader(c, "X-RateLimit-Limit", String(decision.limit));
	setHeader(c, "X-RateLimit-Remaining", String(Math.max(0, decision.remaining)));
	setHeader(c, "X-RateLimit-Reset", String(Math.ceil(decision.reset / 1000)));
	if (!decision.success) {
		const retryAfterSeconds = Math.max(1, Math.ceil((decision.reset - now()) / 1000));
		throw new FailureError({ kind: "rate_limited", retryAfterSeconds });
	}
}
