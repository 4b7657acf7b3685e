import type { Services } from "../context.ts";
import { withTimeout } from "../util/timeout.ts";

/**
 * Failed key lookups (unknown keys that reached Postgres) allowed per client IP per minute. Past it, that IP's
 * uncached keys get 429 without a lookup: a flood of random keys cannot drive queries into Postgres.
 */
export const AUTH_FAILURES_PER_MINUTE = 30;
const WINDOW_MS = 60_000;
const REDIS_TIMEOUT_MS = 500;
const MAX_TRACKED_IPS = 10_000;

// Isolate-lifetime counts, so a flood is stopped even when Redis is unreachable (and without a Redis call per request).
const local = new Map<string, { windowStart: number; failures: number }>();

export const windowStartOf = (now: number) => now - (now % WINDOW_MS);

/** Seconds until the failure window of `now` ends. */
export const secondsToWindowEnd = (now: number) =>
	Math.max(1, Math.ceil((windowStartOf(now) + WINDOW_MS - now) / 1000));

function localCount(ip: string, windowStart: number): { windowStart: number; failures: number } {
	let entry = local.get(ip);
	if (!entry || entry.windowStart !== windowStart) {
		if (local.size >= MAX_TRACKED_IPS) local.clear();
		entry = { windowStart, failures: 0 };
		local.set(ip, entry);
	}
	return entry;
}

/** True when `ip` used up its failed lookups for this minute (this isolate's count, then everyone's in Redis). */
export async function lookupsThrottled(
	ip: string,
	services: Pick<Services, "keyCache">,
	now: number,
): Promise<boolean> {
	const windowStart = windowStartOf(now);
	const entry = localCount(ip, windowStart);
	if (entry.failures >= AUTH_FAILURES_PER_MINUTE) return true;
	try {
		const shared = await withTimeout(services.keyCache.authFailures(ip, windowStart), REDIS_TIMEOUT_MS);
		if (shared >= AUTH_FAILURES_PER_MINUTE) {
			entry.failures = Math.max(entry.failures, shared);
			return true;
		}
	} catch {
		// Redis down: this isolate's count still applies.
	}
	return false;
}

export function recordLookupFailure(ip: string, services: Pick<Services, "keyCache">, now: number): Promise<void> {
	const windowStart = windowStartOf(now);
	localCount(ip, windowStart).failures++;
	return services.keyCache.recordAuthFailure(ip, windowStart).catch(() => undefined);
}

/** Test hook. */
export function clearAuthFailures(): void {
	local.clear();
}
