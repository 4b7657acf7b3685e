import { Ratelimit } from "@upstash/ratelimit/dist/index.mjs";
import { Redis } from "@upstash/redis/cloudflare";
import { authFailureKey, keyCacheKey, touchCacheKey } from "../auth/cache-keys.ts";
import type { Config } from "../config.ts";
import type { CachedKey, KeyCache, RateLimiter, SharedLookup } from "../ports.ts";
import type { LimitAnswer } from "../ratelimit/budget.ts";

/**
 * Positive entries outlive their freshness by far: they serve while Postgres is unreachable, and a key with an
 * entry is never throttled as a random-key flood would be (src/auth/abuse.ts). Revocation evicts them.
 */
const POSITIVE_TTL_SECONDS = 30 * 24 * 60 * 60;
const NEGATIVE_TTL_SECONDS = 60;
const TOUCH_INTERVAL_SECONDS = 60;

export function createRedis(config: Config["redis"]): Redis {
	return new Redis({
		url: config.url,
		token: config.token,
		// One quick retry: on the request path a dead Redis must cost little before we fall back.
		retry: { retries: 1, backoff: () => 20 },
		enableTelemetry: false,
		automaticDeserialization: false,
		// The client is shared by an isolate's requests: a pipeline gathered across requests would make one
		// request's fetch carry (and resolve) another's commands. Commands sent together go out concurrently.
		enableAutoPipelining: false,
	});
}

export class RedisKeyCache implements KeyCache {
	readonly #redis: Redis;
	constructor(redis: Redis) {
		this.#redis = redis;
	}

	async lookup(keyHash: string, ip: string, windowStart: number): Promise<SharedLookup> {
		const [raw, failures, previous] = await this.#redis.mget<[string | null, string | null, string | null]>(
			keyCacheKey(keyHash),
			authFailureKey(ip, windowStart),
			authFailureKey(ip, windowStart - 60_000),
		);
		return { entry: parseEntry(raw), failures: count(failures), previousFailures: count(previous) };
	}

	async set(keyHash: string, entry: CachedKey): Promise<void> {
		const ttl = entry.record ? POSITIVE_TTL_SECONDS : NEGATIVE_TTL_SECONDS;
		await this.#redis.set(keyCacheKey(keyHash), JSON.stringify(entry), { ex: ttl });
	}

	async claimTouch(keyId: string): Promise<boolean> {
		const claimed = await this.#redis.set(touchCacheKey(keyId), "1", { nx: true, ex: TOUCH_INTERVAL_SECONDS });
		return claimed === "OK";
	}

	async recordAuthFailure(ip: string, windowStart: number): Promise<void> {
		const tx = this.#redis.multi();
		tx.incr(authFailureKey(ip, windowStart));
		tx.expire(authFailureKey(ip, windowStart), 120);
		await tx.exec();
	}

	async ping(): Promise<void> {
		await this.#redis.ping();
	}
}

const count = (raw: string | null) => Number(raw ?? 0) || 0;

function parseEntry(raw: unknown): CachedKey | undefined {
	if (typeof raw !== "string") return undefined;
	try {
		return JSON.parse(raw) as CachedKey;
	} catch {
		return undefined;
	}
}

/**
 * The shared count: @upstash/ratelimit's sliding window, one `limit(id, { rate })` per call. No timeout and no
 * ephemeral cache here: the edge budget (src/ratelimit/) decides when to wait and remembers blocked keys.
 */
export class UpstashRateLimiter implements RateLimiter {
	readonly #redis: Redis;
	// One Ratelimit per limit value (a handful: the default and the keys' own limits).
	readonly #byLimit = new Map<number, Ratelimit>();
	constructor(redis: Redis) {
		this.#redis = redis;
	}

	async limit(identifier: string, perMinute: number, rate: number): Promise<LimitAnswer> {
		let limiter = this.#byLimit.get(perMinute);
		if (limiter === undefined) {
			if (this.#byLimit.size >= 64) this.#byLimit.clear();
			limiter = new Ratelimit({
				redis: this.#redis,
				limiter: Ratelimit.slidingWindow(perMinute, "60 s"),
				prefix: "dt:rl",
				ephemeralCache: false,
				timeout: 0,
				analytics: false,
			});
			this.#byLimit.set(perMinute, limiter);
		}
		const r = await limiter.limit(identifier, { rate });
		return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
	}
}
