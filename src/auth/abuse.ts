import type { Services } from "../ports.ts";

/**
 * Failed key lookups (unknown keys that reached Postgres) allowed per client IP per minute. Past it, that IP's keys
 * without a cache entry get 429 "Too many invalid API keys" without a lookup (but for a trickle): a flood of
 * random keys cannot drive queries into Postgres. Keys with a positive cache entry are never throttled.
 */
export const AUTH_FAILURES_PER_MINUTE = 30;
const WINDOW_MS = 60_000;
const THROTTLED_LOOKUP_INTERVAL_MS = 1_000;
let lastTrickle = 0;
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

/**
 * True when `ip` used up its failed lookups for this minute (this isolate's count, or everyone's as Redis gave it
 * with the key-cache read). Even then one lookup per second per isolate goes through, so that a valid key that
 * has no cache entry (a new key, an evicted one) sent from behind the same address is not locked out for the rest
 * of the minute; a flood reaches Postgres at that trickle, not per request.
 */
export function lookupsThrottled(ip: string, sharedFailures: number | undefined, now: number): boolean {
	const entry = localCount(ip, windowStartOf(now));
	if (sharedFailures !== undefined) entry.failures = Math.max(entry.failures, sharedFailures);
	if (entry.failures < AUTH_FAILURES_PER_MINUTE) return false;
	if (now - lastTrickle >= THROTTLED_LOOKUP_INTERVAL_MS) {
		lastTrickle = now;
		return false;
	}
	return true;
}

/** True when lookups from `ip` have failed in this minute (in this isolate): it may be guessing keys. */
export function recentlyFailed(ip: string, now: number): boolean {
	const entry = local.get(ip);
	return entry !== undefined && entry.windowStart === windowStartOf(now) && entry.failures > 0;
}

export function recordLookupFailure(ip: string, services: Pick<Services, "keyCache">, now: number): Promise<void> {
	const windowStart = windowStartOf(now);
	localCount(ip, windowStart).failures++;
	return services.keyCache.recordAuthFailure(ip, windowStart).catch(() => undefined);
}
