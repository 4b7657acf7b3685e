import type { NeonQueryFunction } from "@neondatabase/serverless";
import type { Config } from "../config.ts";
import type { ApiKeyRecord, ApiKeyStore } from "../ports.ts";

type Sql = NeonQueryFunction<false, false>;
/** The SQL-over-HTTP function, made on first use. */
export type SqlLoader = () => Promise<Sql>;

/**
 * The Neon client is loaded on first use: it is about half of the worker's startup (14 ms of 29 ms measured, most of
 * it a bundled dependency touching Node's stdio at load), and only a key new to the isolate that Redis does not hold
 * ever needs Postgres. A dynamic import() is evaluated lazily in the bundle. What is shared across requests is the
 * resulting function, never a promise.
 */
export function createSql(config: Pick<Config, "databaseUrl" | "neonHttpEndpoint">): SqlLoader {
	let sql: Sql | undefined;
	return async () => {
		if (sql === undefined) {
			const { neon, neonConfig } = await import("@neondatabase/serverless");
			// neon() posts to https://api.<host>/sql unless told otherwise; the local stack serves the same protocol elsewhere.
			if (config.neonHttpEndpoint) neonConfig.fetchEndpoint = config.neonHttpEndpoint;
			sql ??= neon(config.databaseUrl);
		}
		return sql;
	};
}

interface KeyRow {
	id: string;
	project_id: string;
	project_name: string;
	allowed_origins: string[] | null;
	rate_limit: number | null;
	expires_at: Date | null;
	revoked_at: Date | null;
	drain_secret: string | null;
	vercel_verify: string | null;
}

const toMillis = (d: Date | null) => (d ? d.getTime() : null);

/** API keys in Neon Postgres, looked up by the SHA-256 of the key (never by its plaintext). */
export class NeonApiKeyStore implements ApiKeyStore {
	readonly #sql: SqlLoader;
	constructor(sql: SqlLoader) {
		this.#sql = sql;
	}

	async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
		const rows = (await (
			await this.#sql()
		).query(
			`SELECT k.id, k.project_id, p.name AS project_name, k.allowed_origins, k.rate_limit,
			        k.expires_at, k.revoked_at, p.drain_secret, p.vercel_verify
			   FROM api_keys k JOIN projects p ON p.id = k.project_id
			  WHERE k.key_hash = $1`,
			[keyHash],
		)) as KeyRow[];
		const row = rows[0];
		if (!row) return null;
		return {
			id: row.id,
			projectId: row.project_id,
			projectName: row.project_name,
			allowedOrigins: row.allowed_origins ?? [],
			rateLimit: row.rate_limit,
			expiresAt: toMillis(row.expires_at),
			revokedAt: toMillis(row.revoked_at),
			drainSecret: row.drain_secret,
			vercelVerify: row.vercel_verify,
		};
	}

	async touchLastUsed(keyId: string): Promise<void> {
		await (await this.#sql()).query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [keyId]);
	}

	async ping(): Promise<void> {
		await (await this.#sql()).query("SELECT 1");
	}
}
