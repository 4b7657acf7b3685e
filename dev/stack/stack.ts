import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { WORKER_ENV_NAMES } from "../local-env.ts";
import { type ClickHouseService, startClickHouse } from "./clickhouse.ts";
import { freePort } from "./net.ts";
import { type PostgresService, startPostgres } from "./postgres.ts";
import { type RedisService, startRedis } from "./redis.ts";

export interface Ports {
	clickhouse: number;
	neon: number;
	upstash: number;
	postgres: number;
	redis: number;
}

export const DEFAULT_PORTS: Ports = { clickhouse: 8123, neon: 4444, upstash: 8079, postgres: 5433, redis: 6380 };

/** Default ports, each overridable: CLICKHOUSE_PORT, NEON_HTTP_PORT, UPSTASH_PORT, POSTGRES_PORT, REDIS_PORT. */
export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): Ports {
	const n = (name: string, fallback: number) => {
		const v = env[name];
		if (v === undefined || v === "") return fallback;
		const port = Number(v);
		if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${name} must be a port number`);
		return port;
	};
	return {
		clickhouse: n("CLICKHOUSE_PORT", DEFAULT_PORTS.clickhouse),
		neon: n("NEON_HTTP_PORT", DEFAULT_PORTS.neon),
		upstash: n("UPSTASH_PORT", DEFAULT_PORTS.upstash),
		postgres: n("POSTGRES_PORT", DEFAULT_PORTS.postgres),
		redis: n("REDIS_PORT", DEFAULT_PORTS.redis),
	};
}

export async function freePorts(): Promise<Ports> {
	return {
		clickhouse: await freePort(),
		neon: await freePort(),
		upstash: await freePort(),
		postgres: await freePort(),
		redis: await freePort(),
	};
}

/**
 * The worker settings a stack provides, in the order `.dev.vars` gets them. `.dev.vars.example` lists the same names:
 * worker-configuration.d.ts is generated from it, and wrangler dev compares those types with the `.dev.vars` we write.
 */
export { WORKER_ENV_NAMES };

export type ServiceName = "clickhouse" | "redis" | "postgres";

export interface Stack {
	/** The worker's settings for this stack (the names of wrangler.toml and .dev.vars). */
	env: Record<string, string>;
	ports: Ports;
	postgres: PostgresService;
	redis: RedisService;
	clickhouse: ClickHouseService;
	stop(name: ServiceName): Promise<void>;
	start(name: ServiceName): Promise<void>;
	close(): Promise<void>;
}

export interface StackOptions {
	dataDir: string;
	/** Dev keeps data across runs; tests use throwaway directories. */
	persistent: boolean;
	ports: Ports;
	redisToken?: string;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
	const { dataDir, persistent, ports } = opts;
	const token = opts.redisToken ?? "local-dev-token";
	for (const sub of ["postgres", "redis", "clickhouse"]) mkdirSync(join(dataDir, sub), { recursive: true });

	const started: { close(): Promise<void> }[] = [];
	try {
		const track = <T extends { close(): Promise<void> }>(service: T): T => {
			started.push(service);
			return service;
		};
		const [postgres, redis, clickhouse] = await Promise.all([
			startPostgres({
				dataDir: join(dataDir, "postgres"),
				pgPort: ports.postgres,
				httpPort: ports.neon,
				persistent,
			}).then(track),
			startRedis({
				dataDir: join(dataDir, "redis"),
				redisPort: ports.redis,
				httpPort: ports.upstash,
				token,
				// Upstash is durable (the delivery spill relies on it): keep the AOF even for throwaway test stacks.
				persistent: true,
			}).then(track),
			startClickHouse({ dataDir: join(dataDir, "clickhouse"), httpPort: ports.clickhouse }).then(track),
		]);
		const services = { postgres, redis, clickhouse };
		const env: Record<(typeof WORKER_ENV_NAMES)[number], string> = {
			DATABASE_URL: postgres.databaseUrl,
			NEON_HTTP_ENDPOINT: postgres.neonHttpEndpoint,
			UPSTASH_REDIS_REST_URL: redis.restUrl,
			UPSTASH_REDIS_REST_TOKEN: redis.restToken,
			CLICKHOUSE_URL: clickhouse.url,
			CLICKHOUSE_USER: clickhouse.user,
			CLICKHOUSE_PASSWORD: clickhouse.password,
			CLICKHOUSE_DATABASE: "deeptracer",
		};
		let closed = false;
		return {
			env,
			ports,
			...services,
			stop: (name) => services[name].stop(),
			start: (name) => services[name].start(),
			async close() {
				if (closed) return;
				closed = true;
				await Promise.allSettled([postgres.close(), redis.close(), clickhouse.close()]);
			},
		};
	} catch (err) {
		await Promise.allSettled(started.map((s) => s.close()));
		throw err;
	}
}
