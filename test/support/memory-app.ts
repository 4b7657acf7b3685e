import { env } from "cloudflare:test";
import { createApp } from "../../src/app.ts";
import { BudgetStore } from "../../src/ratelimit/budget.ts";
import { call } from "./call.ts";
import { type MemoryOptions, type MemoryServices, memoryServices } from "./memory-services.ts";

/** Settings the config accepts (src/config.ts); nothing is contacted: the services are in memory. */
export const MEMORY_ENV = {
	...env,
	DATABASE_URL: "postgres://memory:memory@127.0.0.1:9/memory",
	UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
	UPSTASH_REDIS_REST_TOKEN: "memory",
	CLICKHOUSE_URL: "http://127.0.0.1:9",
	CLICKHOUSE_USER: "default",
	CLICKHOUSE_PASSWORD: "",
	CLICKHOUSE_DATABASE: "deeptracer",
	RATE_LIMIT_PER_MINUTE: "5000",
	RATE_LIMIT_FLUSH_MS: "0",
} as Env;

export interface MemoryApp extends MemoryServices {
	/** A request through the real app, its background work waited for. */
	send(path: string, init?: RequestInit): Promise<Response>;
}

/** The real app over memory services, with a rate-limit budget store of its own (an isolate of its own). */
export function memoryApp(options: MemoryOptions = {}): MemoryApp {
	const mem = memoryServices(options);
	const app = createApp({ createServices: () => mem.services, limits: { budgets: new BudgetStore(), flushMs: 0 } });
	return { ...mem, send: (path, init) => call(app, path, init, MEMORY_ENV) };
}
