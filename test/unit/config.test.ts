import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";

// The worker's settings: defaults, bounds, and problems that name the setting but never echo its value.

const SECRET = "s3cr3t-value";
const VALID = {
	DATABASE_URL: `postgres://user:${SECRET}@db.example.com/app`,
	UPSTASH_REDIS_REST_URL: "https://redis.example.com",
	UPSTASH_REDIS_REST_TOKEN: SECRET,
	CLICKHOUSE_URL: "https://ch.example.com:8443",
};

describe("parseConfig", () => {
	it("fills the defaults and passes the R2 binding through", () => {
		const bucket = { get: () => null };
		expect(parseConfig({ ...VALID, SOURCEMAPS: bucket })).toEqual({
			ok: true,
			config: {
				databaseUrl: VALID.DATABASE_URL,
				neonHttpEndpoint: undefined,
				redis: { url: VALID.UPSTASH_REDIS_REST_URL, token: SECRET },
				clickhouse: { url: VALID.CLICKHOUSE_URL, user: "default", password: "", database: "deeptracer" },
				rateLimitPerMinute: 5000,
				rateLimitFlushMs: 1000,
				sourceMapBucket: bucket,
			},
		});
	});

	it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
		["postgresql:// URLs", { DATABASE_URL: "postgresql://u:p@h/db" }, { databaseUrl: "postgresql://u:p@h/db" }],
		[
			"numbers from strings",
			{ RATE_LIMIT_PER_MINUTE: "20", RATE_LIMIT_FLUSH_MS: "5" },
			{ rateLimitPerMinute: 20, rateLimitFlushMs: 5 },
		],
		["the longest flush", { RATE_LIMIT_FLUSH_MS: "10000" }, { rateLimitFlushMs: 10_000 }],
		[
			"an empty ClickHouse password",
			{ CLICKHOUSE_PASSWORD: "" },
			{ clickhouse: expect.objectContaining({ password: "" }) },
		],
		[
			"a blank optional setting as unset",
			{ NEON_HTTP_ENDPOINT: "", CLICKHOUSE_USER: "" },
			{ neonHttpEndpoint: undefined, clickhouse: expect.objectContaining({ user: "default" }) },
		],
	])("accepts %s", (_, overrides, expected) => {
		const result = parseConfig({ ...VALID, ...overrides });
		expect(result.ok && result.config).toMatchObject(expected);
	});

	it.each<[Record<string, unknown>, string[]]>([
		[{ DATABASE_URL: undefined }, ["DATABASE_URL: missing"]],
		[{ UPSTASH_REDIS_REST_TOKEN: "" }, ["UPSTASH_REDIS_REST_TOKEN: missing"]],
		[{ DATABASE_URL: `mysql://user:${SECRET}@db.example.com/app` }, ["DATABASE_URL: malformed"]],
		[{ DATABASE_URL: SECRET }, ["DATABASE_URL: malformed"]],
		[{ CLICKHOUSE_URL: "ftp://ch.example.com" }, ["CLICKHOUSE_URL: malformed"]],
		[{ UPSTASH_REDIS_REST_URL: "javascript:alert(1)" }, ["UPSTASH_REDIS_REST_URL: malformed"]],
		[{ NEON_HTTP_ENDPOINT: "file:///etc/passwd" }, ["NEON_HTTP_ENDPOINT: malformed"]],
		[{ CLICKHOUSE_DATABASE: "deeptracer; DROP TABLE logs" }, ["CLICKHOUSE_DATABASE: malformed"]],
		[{ CLICKHOUSE_DATABASE: "1db" }, ["CLICKHOUSE_DATABASE: malformed"]],
		[{ RATE_LIMIT_PER_MINUTE: "0" }, ["RATE_LIMIT_PER_MINUTE: malformed"]],
		[{ RATE_LIMIT_FLUSH_MS: "10001" }, ["RATE_LIMIT_FLUSH_MS: malformed"]],
		[
			{ DATABASE_URL: undefined, CLICKHOUSE_URL: `https://:${SECRET}` },
			["DATABASE_URL: missing", "CLICKHOUSE_URL: malformed"],
		],
	])("refuses %j, naming the setting and nothing of its value", (overrides, problems) => {
		const result = parseConfig({ ...VALID, ...overrides });
		expect(result).toEqual({ ok: false, problems });
		expect(JSON.stringify(result)).not.toContain(SECRET);
	});

	it.each([
		["RATE_LIMIT_PER_MINUTE", "1.5"],
		["RATE_LIMIT_PER_MINUTE", "abc"],
		["RATE_LIMIT_PER_MINUTE", "Infinity"],
		["RATE_LIMIT_FLUSH_MS", "-1"],
		["CLICKHOUSE_URL", "https:ch.example.com"],
		["UPSTASH_REDIS_REST_URL", "redis.example.com"],
		["CLICKHOUSE_USER", 42],
	])("refuses %s=%j as malformed", (name, value) => {
		const result = parseConfig({ ...VALID, [name]: value });
		expect(result).toEqual({ ok: false, problems: [`${name}: malformed`] });
	});

	it("keeps a URL as given, trimmed and without the tabs and newlines the URL parser ignores", () => {
		const result = parseConfig({ ...VALID, CLICKHOUSE_URL: " https://ch.exam\nple.com:8443 " });
		expect(result.ok && result.config.clickhouse.url).toBe("https://ch.example.com:8443");
	});
});
