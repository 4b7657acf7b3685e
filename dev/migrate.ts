import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { ROOT } from "./local-env.ts";
import { seedPrices } from "./prices.ts";

const MIGRATIONS = join(ROOT, "migrations");
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function files(kind: "postgres" | "clickhouse"): { version: string; sql: string }[] {
	const dir = join(MIGRATIONS, kind);
	return readdirSync(dir)
		.filter((f) => f.endsWith(".sql"))
		.sort()
		.map((f) => ({ version: f.replace(/\.sql$/, ""), sql: readFileSync(join(dir, f), "utf8") }));
}

/**
 * Applies each Postgres migration once, in order, each in its own transaction, then loads the seeded prices the
 * table lacks (migrations/model_prices.json); returns the versions applied now.
 */
export async function migratePostgres(databaseUrl: string): Promise<string[]> {
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		// One migrator at a time, whoever else runs `npm run migrate` against this database.
		await client.query("SELECT pg_advisory_lock(727274)");
		await client.query(
			"CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
		);
		const done = new Set(
			(await client.query<{ version: string }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version),
		);
		const applied: string[] = [];
		for (const m of files("postgres")) {
			if (done.has(m.version)) continue;
			await client.query("BEGIN");
			try {
				await client.query(m.sql);
				await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [m.version]);
				await client.query("COMMIT");
				applied.push(m.version);
			} catch (err) {
				await client.query("ROLLBACK");
				throw err;
			}
		}
		await seedPrices(client);
		return applied;
	} finally {
		await client.end();
	}
}

export interface ClickHouseTarget {
	url: string;
	user: string;
	password: string;
	database: string;
}

/** Splits a migration file into statements (no statement here contains a semicolon inside a string). */
export function statements(sql: string): string[] {
	return sql
		.split(/;\s*(?:\n|$)/)
		.map((s) =>
			s
				.split("\n")
				.filter((line) => !line.trim().startsWith("--"))
				.join("\n")
				.trim(),
		)
		.filter(Boolean);
}

/** Creates the database and tables; every statement is IF NOT EXISTS, so re-running is harmless. */
export async function migrateClickHouse(target: ClickHouseTarget): Promise<number> {
	if (!DATABASE_NAME.test(target.database)) throw new Error(`invalid ClickHouse database name: ${target.database}`);
	const base = { url: target.url, username: target.user, password: target.password };
	const admin = createClient(base);
	try {
		await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${target.database}` });
	} finally {
		await admin.close();
	}
	const client = createClient({ ...base, database: target.database });
	let count = 0;
	try {
		for (const m of files("clickhouse")) {
			for (const query of statements(m.sql)) {
				await client.command({ query });
				count++;
			}
		}
	} finally {
		await client.close();
	}
	return count;
}

export async function migrateAll(env: Record<string, string | undefined>): Promise<void> {
	const need = (name: string) => {
		const v = env[name];
		if (!v) throw new Error(`${name} is not set (run \`npm run stack\` or set it in the environment)`);
		return v;
	};
	await migratePostgres(need("DATABASE_URL"));
	await migrateClickHouse({
		url: need("CLICKHOUSE_URL"),
		user: env.CLICKHOUSE_USER || "default",
		password: env.CLICKHOUSE_PASSWORD ?? "",
		database: env.CLICKHOUSE_DATABASE || "deeptracer",
	});
}
