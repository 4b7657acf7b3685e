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

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

// Plain checks, not zod: every isolate parses its settings before its first request, and zod's modules would be
// evaluated for it (the contract's schemas are loaded only when a body needs them: src/ingest/load-schemas.ts).
// Ten settings, each a URL, a name, a bounded integer or a string; a problem names the setting, never its value.

/** A setting's value, or why it was refused. */
type Read<T> = { value: T } | { problem: "missing" | "malformed" };

/**
 * A URL of the given schemes, as the WHATWG parser reads it (the value kept as given, trimmed). An http(s) URL must
 * be spelled with "://": the parser would read "https:example.com" as a host, which is a typo here.
 */
function url(schemes: RegExp) {
	return (raw: unknown): Read<string> => {
		if (typeof raw !== "string") return { problem: raw === undefined ? "missing" : "malformed" };
		const trimmed = raw.trim();
		let parsed: URL | undefined;
		try {
			parsed = new URL(trimmed);
		} catch {
			return { problem: "malformed" };
		}
		if (!schemes.test(parsed.protocol.slice(0, -1))) return { problem: "malformed" };
		if (/^https?:/i.test(parsed.protocol) && !/^https?:\/\//i.test(trimmed)) return { problem: "malformed" };
		// The parser drops ASCII tabs and newlines wherever they are: so does the value kept.
		return { value: trimmed.replace(/[\t\n\r]/g, "") };
	};
}

function text(check: (v: string) => boolean = () => true) {
	return (raw: unknown): Read<string> => {
		if (raw === undefined) return { problem: "missing" };
		return typeof raw === "string" && check(raw) ? { value: raw } : { problem: "malformed" };
	};
}

/** An integer within [min, max], from a string (wrangler's vars and secrets are strings) or a number. */
function integer(min: number, max: number) {
	return (raw: unknown): Read<number> => {
		if (raw === undefined) return { problem: "missing" };
		const n = typeof raw === "string" || typeof raw === "number" ? Number(raw) : Number.NaN;
		return Number.isSafeInteger(n) && n >= min && n <= max ? { value: n } : { problem: "malformed" };
	};
}

const optional =
	<T>(read: (raw: unknown) => Read<T>) =>
	(raw: unknown): Read<T | undefined> =>
		raw === undefined ? { value: undefined } : read(raw);

const withDefault =
	<T>(read: (raw: unknown) => Read<T>, fallback: T) =>
	(raw: unknown): Read<T> =>
		raw === undefined ? { value: fallback } : read(raw);

const http = url(/^https?$/);

/** Every setting in the order problems are listed. */
const SETTINGS = {
	DATABASE_URL: url(/^postgres(ql)?$/),
	NEON_HTTP_ENDPOINT: optional(http),
	UPSTASH_REDIS_REST_URL: http,
	UPSTASH_REDIS_REST_TOKEN: text((v) => v.length >= 1),
	CLICKHOUSE_URL: http,
	CLICKHOUSE_USER: withDefault(
		text((v) => v.length >= 1),
		"default",
	),
	CLICKHOUSE_PASSWORD: withDefault(text(), ""),
	CLICKHOUSE_DATABASE: withDefault(
		text((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v)),
		"deeptracer",
	),
	RATE_LIMIT_PER_MINUTE: withDefault(integer(1, Number.MAX_SAFE_INTEGER), 5000),
	RATE_LIMIT_FLUSH_MS: withDefault(integer(0, 10_000), 1000),
};

type Settings = { [K in keyof typeof SETTINGS]: ReturnType<(typeof SETTINGS)[K]> extends Read<infer T> ? T : never };

export function parseConfig(env: Record<string, unknown>): ConfigResult {
	const values: Record<string, unknown> = {};
	const problems: string[] = [];
	for (const [name, read] of Object.entries(SETTINGS)) {
		const raw = env[name];
		// A blank setting is an unset one (wrangler writes unset .dev.vars entries as ""); a blank password is a password.
		const result = (read as (raw: unknown) => Read<unknown>)(
			raw === "" && name !== "CLICKHOUSE_PASSWORD" ? undefined : raw,
		);
		if ("problem" in result) problems.push(`${name}: ${result.problem}`);
		else values[name] = result.value;
	}
	if (problems.length > 0) return { ok: false, problems };
	const e = values as Settings;
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
