import * as z from "zod/mini";
import "./util/zod-locale.ts";
import type { SourceMapBucket } from "./ports.ts";

/** The worker's settings, parsed and checked once per env object (see loadConfig). */
export interface Config {
	databaseUrl: string;
	/** Local stack only: where neon() sends SQL over HTTP. */
	neonHttpEndpoint: string | undefined;
	redis: { url: string; token: string };
	clickhouse: { url: string; user: string; password: string; database: string };
	rateLimitPerMinute: number;
	/** The longest a request admitted on the isolate's budget waits before it is reported to Redis (T). */
	rateLimitFlushMs: number;
	/** The R2 bucket of uploaded source maps (a binding, not a setting); undefined when not bound. */
	sourceMapBucket: SourceMapBucket | undefined;
}

const url = z.url({ protocol: /^https?$/ });
const EnvSchema = z.object({
	DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
	NEON_HTTP_ENDPOINT: z.optional(url),
	UPSTASH_REDIS_REST_URL: url,
	UPSTASH_REDIS_REST_TOKEN: z.string().check(z.minLength(1)),
	CLICKHOUSE_URL: url,
	CLICKHOUSE_USER: z._default(z.string().check(z.minLength(1)), "default"),
	CLICKHOUSE_PASSWORD: z._default(z.string(), ""),
	CLICKHOUSE_DATABASE: z._default(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)), "deeptracer"),
	RATE_LIMIT_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 5000),
	RATE_LIMIT_FLUSH_MS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(10_000)), 1000),
});

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export function parseConfig(env: Record<string, unknown>): ConfigResult {
	const blankToUndefined = Object.fromEntries(
		Object.entries(env).map(([k, v]) => [k, v === "" && k !== "CLICKHOUSE_PASSWORD" ? undefined : v]),
	);
	const parsed = EnvSchema.safeParse(blankToUndefined);
	if (!parsed.success) {
		// Names only: a value could be a secret.
		const problems = parsed.error.issues.map(
			(i) => `${i.path.join(".")}: ${i.code === "invalid_type" ? "missing" : "malformed"}`,
		);
		return { ok: false, problems };
	}
	const e = parsed.data;
	return {
		ok: true,
		config: {
			databaseUrl: e.DATABASE_URL,
			neonHttpEndpoint: e.NEON_HTTP_ENDPOINT,
			redis: { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN },
			clickhouse: {
				url: e.CLICKHOUSE_URL,
				user: e.CLICKHOUSE_USER,
				password: e.CLICKHOUSE_PASSWORD,
				database: e.CLICKHOUSE_DATABASE,
			},
			rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
			rateLimitFlushMs: e.RATE_LIMIT_FLUSH_MS,
			sourceMapBucket: env.SOURCEMAPS as SourceMapBucket | undefined,
		},
	};
}

// The env object of an isolate is stable, so it is parsed once and remembered by identity.
const parsedByEnv = new WeakMap<object, ConfigResult>();

export function loadConfig(env: object): ConfigResult {
	let result = parsedByEnv.get(env);
	if (!result) {
		result = parseConfig(env as Record<string, unknown>);
		parsedByEnv.set(env, result);
	}
	return result;
}
