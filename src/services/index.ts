import type { Config } from "../config.ts";
import type { Services } from "../ports.ts";
import { ClickHouseEventWriter, createClickHouse } from "./clickhouse.ts";
import { RedisIdempotencyLedger } from "./idempotency.ts";
import { createSql, NeonApiKeyStore } from "./postgres.ts";
import { NeonPriceStore, RedisPriceCache } from "./prices.ts";
import { sourceMapStore } from "./r2-sourcemaps.ts";
import { createRedis, RedisKeyCache, UpstashRateLimiter } from "./redis.ts";
import { RedisSpill } from "./spill.ts";

/** The production services for a parsed config (the clients hold settings only; every call makes its own fetch). */
export function createServices(config: Config): Services {
	const redis = createRedis(config.redis);
	const sql = createSql(config);
	return {
		keys: new NeonApiKeyStore(sql),
		keyCache: new RedisKeyCache(redis),
		limiter: new UpstashRateLimiter(redis),
		events: new ClickHouseEventWriter(createClickHouse(config.clickhouse)),
		spill: new RedisSpill(redis),
		sourceMaps: sourceMapStore(config.sourceMapBucket),
		idempotency: new RedisIdempotencyLedger(redis),
		prices: new NeonPriceStore(sql),
		priceCache: new RedisPriceCache(redis),
	};
}

// A config is parsed once per env object, so this builds the services once per isolate (and env).
const built = new WeakMap<Config, Services>();

/** createServices, once per config: what the worker uses, so no request pays for building clients. */
export function isolateServices(config: Config): Services {
	let services = built.get(config);
	if (services === undefined) {
		services = createServices(config);
		built.set(config, services);
	}
	return services;
}
