import type { CachedPrices, Services } from "../ports.ts";
import { afterResponse } from "../util/after-response.ts";
import { withTimeout } from "../util/timeout.ts";
import { waitWhile } from "../util/wait.ts";
import { PriceBook } from "./table.ts";

// The price table through the tiers keys use (src/auth/lookup.ts): the isolate's copy, Redis's (one entry, the whole
// list), Postgres. A record is priced from the isolate's copy without any I/O while it is fresh, and a copy in use
// is read again behind the answer before it goes stale, so a steady stream of LLM records never waits. An isolate
// with no fresh copy (new, or idle past a minute) awaits one read, Redis then Postgres; the requests that arrive
// meanwhile wait for it on their own timers (src/util/wait.ts), never on its promise. It does not start from a table built into the bundle: that would price with the prices of the
// deploy, not the ones set since, for as long as the first read takes (in every new isolate), and the bundle would
// carry the table for nothing.

/** A copy older than this is read again: the bound on how long a price change takes to be used. */
const MAX_PRICES_AGE_MS = 60_000;
const ISOLATE_FRESH_MS = 30_000;
/** A copy in use is read again this long before it goes stale. */
const REFRESH_AHEAD_MS = 15_000;
/** After a failed read, the copy held (or none) serves this long before the stores are asked again; a refresh begun
 * is not begun again sooner either (it has ended by then: its reads time out first). */
const RETRY_AFTER_MS = 5_000;
const REDIS_TIMEOUT_MS = 1_000;
const POSTGRES_TIMEOUT_MS = 3_000;

/** The Redis key of the cached list (the price CLI deletes it after a change). */
export const PRICES_CACHE_KEY = "dt:prices";

type PriceServices = Pick<Services, "prices" | "priceCache">;
type Defer = (work: Promise<unknown>) => void;

interface Held {
	book: PriceBook | undefined;
	freshUntil: number;
	/** No refresh starts before this (one under way, or a failed one's pause). */
	refreshFrom: number;
}

interface Tier {
	held: Held | undefined;
	/** Unix ms the read under way began, when there is no fresh copy (one for all the requests waiting). */
	readingSince: number | undefined;
}

/** The longest a read takes: a waiter stops waiting past it (the reader's request may have been cancelled). */
const READ_MAX_MS = REDIS_TIMEOUT_MS + POSTGRES_TIMEOUT_MS + 500;

// Isolate-lifetime: the table this isolate prices with, per price store (production builds one per isolate and
// config, src/services/index.ts; tests that build services of their own get a copy of their own).
let tiers = new WeakMap<PriceServices["prices"], Tier>();

/** Test hook: forget every copy this isolate holds. */
export function clearIsolatePrices(): void {
	tiers = new WeakMap();
}

function tierOf(services: PriceServices): Tier {
	let tier = tiers.get(services.prices);
	if (tier === undefined) {
		tier = { held: undefined, readingSince: undefined };
		tiers.set(services.prices, tier);
	}
	return tier;
}

/**
 * The price book for a record received at `now`: the isolate's fresh copy synchronously (read again behind the
 * answer when due), else a promise of one read through Redis and Postgres. Undefined: no table could be read.
 */
export function currentPrices(
	services: PriceServices,
	now: number,
	defer: Defer,
): PriceBook | undefined | Promise<PriceBook | undefined> {
	const tier = tierOf(services);
	const h = tier.held;
	if (h && now < h.freshUntil) {
		if (h.book && now >= h.refreshFrom && now >= h.freshUntil - REFRESH_AHEAD_MS) {
			h.refreshFrom = now + RETRY_AFTER_MS;
			afterResponse(defer, () => read(tier, services, now, defer, REFRESH_AHEAD_MS));
		}
		return h.book;
	}
	return readOnce(tier, services, now, defer);
}

/** One read for the requests of an isolate that find no fresh copy: the first reads, the others wait for its copy. */
async function readOnce(tier: Tier, services: PriceServices, now: number, defer: Defer) {
	const reading = () => tier.readingSince !== undefined && Date.now() - tier.readingSince < READ_MAX_MS;
	if (reading()) {
		await waitWhile(reading, READ_MAX_MS);
		const h = tier.held;
		if (h && now < h.freshUntil) return h.book;
	}
	const since = Date.now();
	tier.readingSince = since;
	try {
		return await read(tier, services, now, defer, 0);
	} finally {
		// Only its own: an abandoned read may have been taken over meanwhile.
		if (tier.readingSince === since) tier.readingSince = undefined;
	}
}

/** Reads the list (Redis if its entry is fresh enough, else Postgres) and holds it; on failure keeps what it had. */
async function read(tier: Tier, services: PriceServices, now: number, defer: Defer, refreshAhead: number) {
	let cached: CachedPrices | undefined;
	let redisAnswered = false;
	try {
		cached = await withTimeout(services.priceCache.get(), REDIS_TIMEOUT_MS);
		redisAnswered = true;
	} catch {
		// Redis down: Postgres decides.
	}
	if (cached && now - cached.fetchedAt < MAX_PRICES_AGE_MS - refreshAhead) return hold(tier, cached, now);
	try {
		const list = await withTimeout(services.prices.list(now), POSTGRES_TIMEOUT_MS);
		const entry: CachedPrices = { list, fetchedAt: now };
		// Back to Redis behind the answer, for the other isolates.
		if (redisAnswered) afterResponse(defer, () => services.priceCache.set(entry));
		return hold(tier, entry, now);
	} catch {
		// Postgres down. A copy still fresh stays as it is (a failed refresh); otherwise older prices price better than
		// none, and whatever serves is asked again in a few seconds, so records do not each wait for a store that is
		// not answering.
		const held = tier.held;
		if (held && now < held.freshUntil) return held.book;
		const book = held?.book ?? (cached && bookOf(tier, cached));
		tier.held = { book, freshUntil: now + RETRY_AFTER_MS, refreshFrom: 0 };
		return book;
	}
}

function bookOf(tier: Tier, entry: CachedPrices): PriceBook {
	// The same revision is the same table: keep the book, and the model ids it has resolved.
	const book = tier.held?.book;
	return book?.version === entry.list.version ? book : new PriceBook(entry.list);
}

function hold(tier: Tier, entry: CachedPrices, now: number): PriceBook {
	const book = bookOf(tier, entry);
	tier.held = {
		book,
		freshUntil: Math.min(now + ISOLATE_FRESH_MS, entry.fetchedAt + MAX_PRICES_AGE_MS),
		refreshFrom: 0,
	};
	return book;
}
