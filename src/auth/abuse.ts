import type { Services } from "../ports.ts";

/**
 * Failed key lookups (unknown keys that reached Postgres) allowed per client IP in any 60 s. Past it, that IP's keys
 * without a cache entry get 429 "Too many invalid API keys" without a lookup (but for a trickle): a flood of
 * random keys cannot drive queries into Postgres. Keys with a positive cache entry are never throttled.
 *
 * Counted per minute (here and in Redis) and read as a sliding window, as @upstash/ratelimit reads its own: this
 * minute's count plus the previous minute's weighted by how much of it the last 60 s still cover. A fixed window
 * would forget a flood that straddles a minute boundary: 20 failures before it and 15 after were 15.
 */
export const AUTH_FAILURES_PER_MINUTE = 30;
const WINDOW_MS = 60_000;
const THROTTLED_LOOKUP_INTERVAL_MS = 1_000;
const MAX_TRACKED_IPS = 10_000;

/** One address's failed lookups in the minute starting at windowStart and the one before, and its trickle slot. */
interface Failures {
	windowStart: number;
	current: number;
	previous: number;
	/** When a lookup last went through for this address while it was throttled. */
	lastTrickle: number;
}

// Isolate-lifetime counts, so a flood is stopped even when Redis is unreachable (and without a Redis call per request).
const local = new Map<string, Failures>();

export const windowStartOf = (now: number) => now - (now % WINDOW_MS);

/** The counts as of `now`'s minute: a later minute moves this one's count to previous (or drops both). */
function rolled(entry: Failures, now: number): Pick<Failures, "current" | "previous"> {
	const windowStart = windowStartOf(now);
	if (entry.windowStart === windowStart) return entry;
	return { current: 0, previous: entry.windowStart === windowStart - WINDOW_MS ? entry.current : 0 };
}

function countsOf(ip: string, now: number): Failures {
	let entry = local.get(ip);
	if (entry === undefined) {
		if (local.size >= MAX_TRACKED_IPS) {
			const oldest = local.keys().next().value;
			if (oldest !== undefined) local.delete(oldest);
		}
		entry = { windowStart: windowStartOf(now), current: 0, previous: 0, lastTrickle: Number.NEGATIVE_INFINITY };
		local.set(ip, entry);
	} else if (entry.windowStart !== windowStartOf(now)) {
		Object.assign(entry, rolled(entry, now), { windowStart: windowStartOf(now) });
	}
	return entry;
}

/** Failed lookups of the last 60 s, estimated from the two minutes' counts. */
function sliding(counts: Pick<Failures, "current" | "previous">, now: number): number {
	const covered = 1 - (now - windowStartOf(now)) / WINDOW_MS;
	return counts.current + counts.previous * covered;
}

/** An address's failed lookups as Redis counts them for everyone: this minute and the one before. */
interface SharedFailures {
	current: number;
	previous: number;
}

/**
 * True when `ip` used up its failed lookups of the last 60 s (this isolate's count, or everyone's as Redis gave it
 * with the key-cache read). Even then one lookup per second per address goes through, so that a valid key that has
 * no cache entry (a new key, an evicted one) sent from behind a throttled address is not locked out for a minute,
 * and another address's guessing cannot take that lookup from it; a flood reaches Postgres at that trickle.
 */
export function lookupsThrottled(ip: string, shared: SharedFailures | undefined, now: number): boolean {
	const entry = countsOf(ip, now);
	if (shared) {
		entry.current = Math.max(entry.current, shared.current);
		entry.previous = Math.max(entry.previous, shared.previous);
	}
	if (sliding(entry, now) < AUTH_FAILURES_PER_MINUTE) return false;
	if (now - entry.lastTrickle >= THROTTLED_LOOKUP_INTERVAL_MS) {
		entry.lastTrickle = now;
		return false;
	}
	return true;
}

/** Seconds until a throttled `ip` is below its allowance again, if it fails no more (its Retry-After). */
export function throttledForSeconds(ip: string, now: number): number {
	const entry = local.get(ip);
	if (entry === undefined) return 1;
	const { current, previous } = rolled(entry, now);
	const windowStart = windowStartOf(now);
	const allowance = AUTH_FAILURES_PER_MINUTE;
	let until = now;
	// This minute alone is over: until it has faded below the allowance in the next one.
	if (current >= allowance) until = windowStart + WINDOW_MS * (2 - allowance / current);
	// The previous minute tips it over: until enough of it has slid out.
	else if (previous > 0) until = windowStart + WINDOW_MS * (1 - (allowance - current) / previous);
	return Math.max(1, Math.ceil((until - now) / 1000));
}

/** True when lookups from `ip` have failed in the last 60 s (in this isolate): it may be guessing keys. */
export function recentlyFailed(ip: string, now: number): boolean {
	const entry = local.get(ip);
	return entry !== undefined && sliding(rolled(entry, now), now) > 0;
}

export function recordLookupFailure(ip: string, services: Pick<Services, "keyCache">, now: number): Promise<void> {
	countsOf(ip, now).current++;
	return services.keyCache.recordAuthFailure(ip, windowStartOf(now)).catch(() => undefined);
}
