import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");
export const DEV_VARS = resolve(ROOT, ".dev.vars");

/** Parses KEY=value lines (the .dev.vars format wrangler reads). */
export function parseDotenv(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const line of text.split(/\r?\n/)) {
		const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
		if (!m?.[1]) continue;
		let value = m[2] ?? "";
		if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
		out[m[1]] = value;
	}
	return out;
}

export function formatDotenv(vars: Record<string, string>): string {
	return `${Object.entries(vars)
		.map(([k, v]) => `${k}=${JSON.stringify(v)}`)
		.join("\n")}\n`;
}

/** The worker's settings that the local stack provides (written to .dev.vars; `.dev.vars.example` lists the same). */
export const WORKER_ENV_NAMES = [
	"DATABASE_URL",
	"NEON_HTTP_ENDPOINT",
	"UPSTASH_REDIS_REST_URL",
	"UPSTASH_REDIS_REST_TOKEN",
	"CLICKHOUSE_URL",
	"CLICKHOUSE_USER",
	"CLICKHOUSE_PASSWORD",
	"CLICKHOUSE_DATABASE",
] as const;

/** The worker settings dev tooling uses: the process env first, then the .dev.vars that `npm run stack` wrote. */
export function loadLocalEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
	const file = existsSync(DEV_VARS) ? parseDotenv(readFileSync(DEV_VARS, "utf8")) : {};
	const pick = (name: string) => env[name] ?? file[name];
	return Object.fromEntries(WORKER_ENV_NAMES.map((n) => [n, pick(n)]));
}
