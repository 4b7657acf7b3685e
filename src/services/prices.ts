import type { Redis } from "@upstash/redis/cloudflare";
import type { CachedPrices, ModelPrice, PriceCache, PriceList, PriceStore } from "../ports.ts";
import { PRICES_CACHE_KEY } from "../prices/lookup.ts";
import type { SqlLoader } from "./postgres.ts";

/** The cached list outlives its freshness by far: it serves while Postgres is unreachable. */
const CACHE_TTL_SECONDS = 7 * 24 * 60 * 60;

interface PriceRow {
	provider: string;
	family: string;
	effective_ms: number | string;
	input: number | string;
	output: number | string;
	cached_input: number | string | null;
	cache_write: number | string | null;
	version: string;
}

const numberOrNull = (v: number | string | null) => (v === null ? null : Number(v));

/** Prices in Neon Postgres (migrations/postgres/0002_model_prices.sql), read in one query. */
export class NeonPriceStore implements PriceStore {
	readonly #sql: SqlLoader;
	constructor(sql: SqlLoader) {
		this.#sql = sql;
	}

	async list(at: number): Promise<PriceList> {
		// Per family: its latest row in effect at `at` and every row after it (a change scheduled for a date), so the
		// list serves its whole minute in the isolate whatever dates pass meanwhile. Older rows are history only.
		const rows = (await (
			await this.#sql()
		).query(
			`SELECT p.provider, p.family, (extract(epoch FROM p.effective_from) * 1000)::float8 AS effective_ms,
			        p.input_usd::float8 AS input, p.output_usd::float8 AS output,
			        p.cached_input_usd::float8 AS cached_input, p.cache_write_usd::float8 AS cache_write,
			        (SELECT coalesce(max(revision), 0) FROM price_revisions)::text AS version
			   FROM model_prices p
			  WHERE p.effective_from >= coalesce(
			          (SELECT max(q.effective_from) FROM model_prices q
			            WHERE q.provider = p.provider AND q.family = p.family AND q.effective_from <= $1),
			          '-infinity')`,
			[new Date(at).toISOString()],
		)) as PriceRow[];
		const prices: ModelPrice[] = rows.map((r) => ({
			provider: r.provider,
			family: r.family,
			effectiveFrom: Number(r.effective_ms),
			input: Number(r.input),
			output: Number(r.output),
			cachedInput: numberOrNull(r.cached_input),
			cacheWrite: numberOrNull(r.cache_write),
		}));
		return { version: rows[0]?.version ?? "0", prices };
	}
}

/** The whole price list under one Redis key (a few KB): one GET for an isolate that needs prices. */
export class RedisPriceCache implements PriceCache {
	readonly #redis: Redis;
	constructor(redis: Redis) {
		this.#redis = redis;
	}

	async get(): Promise<CachedPrices | undefined> {
		const raw = await this.#redis.get<string>(PRICES_CACHE_KEY);
		if (typeof raw !== "string") return undefined;
		try {
			return JSON.parse(raw) as CachedPrices;
		} catch {
			return undefined;
		}
	}

	async set(entry: CachedPrices): Promise<void> {
		await this.#redis.set(PRICES_CACHE_KEY, JSON.stringify(entry), { ex: CACHE_TTL_SECONDS });
	}
}
