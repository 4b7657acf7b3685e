import type { Context, Next } from "hono";
import type { AppEnv } from "../context.ts";
import { FailureError } from "./errors.ts";

/** Per-key sliding window; X-RateLimit-* on every authenticated response, 429 with Retry-After past the limit. */
export function rateLimit(opts: { now: () => number }) {
	return async function rateLimitMiddleware(c: Context<AppEnv>, next: Next) {
		const key = c.get("apiKey");
		const perMinute = key.rateLimit ?? c.get("config").rateLimitPerMinute;
		const decision = await c.get("services").limiter.limit(key.id, perMinute);
		if (decision.failedOpen) c.get("event").rate_limit_failed_open = true;
		const headers = {
			"X-RateLimit-Limit": String(decision.limit),
			"X-RateLimit-Remaining": String(Math.max(0, decision.remaining)),
			"X-RateLimit-Reset": String(Math.ceil(decision.reset / 1000)),
		};
		const apply = () => {
			for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
		};
		if (!decision.success) {
			const retryAfterSeconds = Math.max(1, Math.ceil((decision.reset - opts.now()) / 1000));
			for (const [k, v] of Object.entries(headers)) c.header(k, v);
			throw new FailureError({ kind: "rate_limited", retryAfterSeconds });
		}
		try {
			await next();
		} finally {
			apply();
		}
	};
}
