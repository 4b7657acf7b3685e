import type { Config } from "../config.ts";
import type { Services } from "../context.ts";
import { ClickHouseEventWriter, createClickHouse } from "./clickhouse.ts";
import { RedisIdempotencyLedger } from "./idempotency.ts";
import { createSql, NeonApiKeyStore } from "./postgres.ts";
import { createRedis, RedisKeyCache, UpstashRateLimiter } from "./redis.ts";
import { RedisSpill } from "./spill.ts";

/** How long the rate limiter may take before the request goes through uncounted (fail open). */
const RATE_LIMIT_TIMEOUT_MS = 300;

/** The production services, built per request from the parsed config. */
export function createServices(config: Config): Services {
	const redis = createRedis(config.redis);
	return {
		keys: new NeonApiKeyStore(createSql(config)),
		keyCache: new RedisKeyCache(redis),
		limiter: new UpstashRateLimiter(redis, RATE_LIMIT_TIMEOUT_MS),
		events: new ClickHouseEventWriter(createClickHouse(config.clickhouse)),
		spill: new RedisSpill(redis),
		idempotency: new RedisIdempotencyLedger(redis),
	};
}
