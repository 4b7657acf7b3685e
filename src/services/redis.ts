import { Ratelimit } from "@upstash/ratelimit/dist/index.mjs";
import { Redis } from "@upstash/redis/cloudflare";
import { authFailureKey, keyCacheKey, touchKey } from "../auth/cache-keys.ts";
import type { Config } from "../config.ts";
import type { CachedKey, KeyCache, RateLimitDecision, RateLimiter } from "../context.ts";

/** Positive entries outlive their freshness so that they can serve while Postgres is unreachable. */
const POSITIVE_TTL_SECONDS = 24 * 60 * 60;
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
	});
}

export class RedisKeyCache implements KeyCache {
	readonly #redis: Redis;
	constructor(redis: Redis) {
		this.#redis = redis;
	}

	async get(keyHash: string): Promise<CachedKey | undefined> {
		const raw = await this.#redis.get<string>(keyCacheKey(keyHash));
		if (typeof raw !== "string") return undefined;
		try {
			return JSON.parse(raw) as CachedKey;
		} catch {
			return undefined;
		}
	}

	async set(keyHash: string, entry: CachedKey): Promise<void> {
		const ttl = entry.record ? POSITIVE_TTL_SECONDS : NEGATIVE_TTL_SECONDS;
		await this.#redis.set(keyCacheKey(keyHash), JSON.stringify(entry), { ex: ttl });
	}

	async claimTouch(keyId: string): Promise<boolean> {
		const claimed = await this.#redis.set(touchKey(keyId), "1", { nx: true, ex: TOUCH_INTERVAL_SECONDS });
		return claimed === "OK";
	}

	async authFailures(ip: string, windowStart: number): Promise<number> {
		return Number((await this.#redis.get<string>(authFailureKey(ip, windowStart))) ?? 0);
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

// Isolate-lifetime: remembers identifiers blocked until their window resets, saving a Redis call per refused request.
const ephemeralCache = new Map<string, number>();

export class UpstashRateLimiter implements RateLimiter {
	readonly #redis: Redis;
	readonly #timeoutMs: number;
	constructor(redis: Redis, timeoutMs: number) {
		this.#redis = redis;
		this.#timeoutMs = timeoutMs;
	}

	async limit(identifier: string, perMinute: number): Promise<RateLimitDecision> {
		const limiter = new Ratelimit({
			redis: this.#redis,
			limiter: Ratelimit.slidingWindow(perMinute, "60 s"),
			prefix: "dt:rl",
			ephemeralCache,
			timeout: this.#timeoutMs,
			analytics: false,
		});
		const failOpen = (): RateLimitDecision => ({
			success: true,
			limit: perMinute,
			remaining: perMinute,
			reset: Date.now() + 60_000,
			failedOpen: true,
		});
		try {
			const r = await limiter.limit(identifier);
			if (r.reason === "timeout") return failOpen();
			return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset, failedOpen: false };
		} catch {
			return failOpen();
		}
	}
}
