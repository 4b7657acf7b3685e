import type { ApiKeyRecord, CachedKey, Services, SharedLookup } from "../ports.ts";
import { withTimeout } from "../util/timeout.ts";
import { waitWhile } from "../util/wait.ts";
import { lookupsThrottled, recordLookupFailure, windowStartOf } from "./abuse.ts";

/** A lookup older than this is read again from Postgres: the bound on how long a revoked key keeps working. */
export const MAX_LOOKUP_AGE_MS = 60_000;
const ISOLATE_POSITIVE_MS = 30_000;
/** A live key's entry is refreshed in the background this long before it goes stale: a key in use never waits. */
const REFRESH_AHEAD_MS = 15_000;
const ISOLATE_NEGATIVE_MS = 10_000;
/**
 * A refresh begun is not begun again for this long: it has ended by then (its reads time out sooner), and if it
 * failed (stores down) the requests meanwhile do not each start another.
 */
const REFRESH_RETRY_MS = 5_000;
const ISOLATE_MAX_ENTRIES = 2_000;
const REDIS_TIMEOUT_MS = 1_000;
const POSTGRES_TIMEOUT_MS = 3_000;

interface IsolateEntry {
	entry: CachedKey;
	freshUntil: number;
	/** No background refresh of this entry starts before this (one under way, or a failed one's pause). */
	refreshFrom: number;
}

// Isolate-lifetime cache. Entries past freshUntil stay (until pushed out) to serve while Postgres is unreachable.
const isolateCache = new Map<string, IsolateEntry>();

function remember(keyHash: string, entry: CachedKey, now: number): void {
	const ttl = entry.record ? ISOLATE_POSITIVE_MS : ISOLATE_NEGATIVE_MS;
	isolateCache.delete(keyHash);
	if (isolateCache.size >= ISOLATE_MAX_ENTRIES) {
		const oldest = isolateCache.keys().next().value;
		if (oldest !== undefined) isolateCache.delete(oldest);
	}
	isolateCache.set(keyHash, {
		entry,
		freshUntil: Math.min(now + ttl, entry.fetchedAt + MAX_LOOKUP_AGE_MS),
		refreshFrom: 0,
	});
}

/** Test hook: forget everything this isolate has cached. */
export function clearIsolateKeyCache(): void {
	isolateCache.clear();
	lookupsInFlight.clear();
}

export type KeyLookup =
	| { ok: true; record: ApiKeyRecord; source: "isolate" | "redis" | "postgres" | "stale" }
	| { ok: false; reason: "unknown" | "unavailable" | "throttled" };

const found = (entry: CachedKey, source: "isolate" | "redis" | "postgres"): KeyLookup =>
	entry.record ? { ok: true, record: entry.record, source } : { ok: false, reason: "unknown" };

/** The isolate tier alone, synchronously: a fresh entry's answer, or undefined when the other tiers must be asked. */
export function isolateLookup(keyHash: string, now: number): KeyLookup | undefined {
	const local = isolateCache.get(keyHash);
	return local && now < local.freshUntil ? found(local.entry, "isolate") : undefined;
}

/**
 * True, once, when a live key's fresh entry is close to going stale: the caller refreshes it in the background
 * (refreshKey) so that requests keep being answered from the isolate.
 */
export function refreshDue(keyHash: string, now: number): boolean {
	const local = isolateCache.get(keyHash);
	if (!local?.entry.record || now < local.refreshFrom || now < local.freshUntil - REFRESH_AHEAD_MS) return false;
	local.refreshFrom = now + REFRESH_RETRY_MS;
	return true;
}

/** Reads a key again ahead of its entry going stale (Redis if that extends it, else Postgres). Never awaited by a request. */
export async function refreshKey(
	keyHash: string,
	services: Pick<Services, "keys" | "keyCache">,
	now: number,
	defer: (work: Promise<unknown>) => void,
	clientIp: string,
): Promise<void> {
	// Failed (stores down): the entry stays until it is stale, and is tried again after REFRESH_RETRY_MS.
	await lookupKey(keyHash, services, now, defer, clientIp, REFRESH_AHEAD_MS);
}

/**
 * Resolves a key hash the isolate does not hold fresh (callers ask isolateLookup first): Redis (the cached entry and the client IP's failed lookups
 * in one read) → Postgres. Redis down: straight to Postgres. Postgres down: a previously seen key keeps working; an
 * unseen one is unavailable.
 */
async function lookupKey(
	keyHash: string,
	services: Pick<Services, "keys" | "keyCache">,
	now: number,
	defer: (work: Promise<unknown>) => void,
	clientIp: string,
	/** A refresh: take Redis's entry only if it stays fresh at least this much longer. */
	refreshAhead = 0,
): Promise<KeyLookup> {
	// Callers asked the isolate tier first (isolateLookup); its entry still serves while Postgres is down.
	const local = isolateCache.get(keyHash);

	let shared: SharedLookup | undefined;
	try {
		shared = await withTimeout(services.keyCache.lookup(keyHash, clientIp, windowStartOf(now)), REDIS_TIMEOUT_MS);
	} catch {
		// Redis down: Postgres decides, and this isolate's failure counts still throttle.
	}
	const cached = shared?.entry;
	if (cached && now - cached.fetchedAt < MAX_LOOKUP_AGE_MS - refreshAhead) {
		remember(keyHash, cached, now);
		return found(cached, "redis");
	}

	// A key with a positive entry anywhere is a real key, however stale the entry: never throttled.
	const known = cached?.record ?? local?.entry.record;
	const failures = shared && { current: shared.failures, previous: shared.previousFailures };
	if (!known && lookupsThrottled(clientIp, failures, now)) return { ok: false, reason: "throttled" };

	let record: ApiKeyRecord | null;
	try {
		record = await withTimeout(services.keys.findByHash(keyHash), POSTGRES_TIMEOUT_MS);
	} catch {
		if (known) return { ok: true, record: known, source: "stale" };
		return { ok: false, reason: "unavailable" };
	}
	const entry: CachedKey = { record, fetchedAt: now };
	remember(keyHash, entry, now);
	if (shared) defer(services.keyCache.set(keyHash, entry).catch(() => undefined));
	if (!record) defer(recordLookupFailure(clientIp, services, now));
	return found(entry, "postgres");
}

/**
 * Cold lookups under way in this isolate, by key hash: what began each (a request can be cancelled mid-lookup, so
 * a flight is also over once it is older than any lookup can take).
 */
const lookupsInFlight = new Map<string, { startedAt: number }>();
/** The longest a lookup takes (its Redis and Postgres timeouts, and some slack). */
const FLIGHT_MAX_MS = REDIS_TIMEOUT_MS + POSTGRES_TIMEOUT_MS + 500;
/** A waiter looks again after 1, 2, 4, 8 ms, then every 10 ms: at most that late after the answer. */
const FLIGHT_POLL_MAX_MS = 10;

const flightOf = (keyHash: string) => {
	const flight = lookupsInFlight.get(keyHash);
	return flight && Date.now() - flight.startedAt < FLIGHT_MAX_MS ? flight : undefined;
};

/**
 * lookupKey, once per key hash at a time in this isolate: concurrent first requests of a key wait for the one
 * lookup under way and take its answer from the isolate cache, instead of each reading Redis and Postgres. They
 * wait on their own timers for plain state, never on the other request's promise (Workers refuse I/O on behalf
 * of another request, and a promise of a cancelled request never settles). They wait while any lookup of the key
 * is under way, at most as long as one lookup may take; when none left an answer (a store was down, the address
 * was throttled), each looks up itself.
 */
export async function lookupKeyOnce(
	keyHash: string,
	services: Pick<Services, "keys" | "keyCache">,
	now: number,
	defer: (work: Promise<unknown>) => void,
	clientIp: string,
): Promise<KeyLookup> {
	if (flightOf(keyHash)) {
		await waitWhile(() => flightOf(keyHash) !== undefined, FLIGHT_MAX_MS, FLIGHT_POLL_MAX_MS);
		const answered = isolateLookup(keyHash, now);
		if (answered) return answered;
	}
	const flight = { startedAt: Date.now() };
	if (lookupsInFlight.size >= ISOLATE_MAX_ENTRIES) {
		// Only flights of cancelled requests linger: drop the oldest.
		const oldest = lookupsInFlight.keys().next().value;
		if (oldest !== undefined) lookupsInFlight.delete(oldest);
	}
	lookupsInFlight.set(keyHash, flight);
	try {
		return await lookupKey(keyHash, services, now, defer, clientIp);
	} finally {
		// Only its own: an abandoned flight may have been taken over meanwhile.
		if (lookupsInFlight.get(keyHash) === flight) lookupsInFlight.delete(keyHash);
	}
}

const TOUCH_INTERVAL_MS = 60_000;
const lastTouched = new Map<string, number>();

/**
 * True, once a minute per key in this isolate, when the key's use should be recorded: the slot is taken at once,
 * so requests that arrive before the background work runs do not schedule it again.
 */
export function touchDue(keyId: string, now: number): boolean {
	const last = lastTouched.get(keyId);
	if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return false;
	if (lastTouched.size >= ISOLATE_MAX_ENTRIES) lastTouched.clear();
	lastTouched.set(keyId, now);
	return true;
}

/** Records last_used_at (after touchDue): once a minute per key per isolate, and across isolates through Redis. */
export async function touchKey(keyId: string, services: Pick<Services, "keys" | "keyCache">): Promise<void> {
	let claimed = true;
	try {
		claimed = await services.keyCache.claimTouch(keyId);
	} catch {
		// Redis down: this isolate's own once-a-minute bound still holds.
	}
	if (claimed) await services.keys.touchLastUsed(keyId);
}
