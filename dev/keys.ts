import { randomBytes } from "node:crypto";
import { Redis } from "@upstash/redis";
import type pg from "pg";
import { keyCacheKey } from "../src/auth/cache-keys.ts";
import { hashApiKey, keyPrefix } from "../src/auth/key.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `dt_` + 40 base62 characters (~238 bits), drawn without modulo bias. */
export function generateApiKey(): string {
	let out = "dt_";
	while (out.length < 43) {
		for (const b of randomBytes(64)) {
			if (b < 248 && out.length < 43) out += ALPHABET[b % 62];
		}
	}
	return out;
}

export interface CreateKeyOptions {
	project: string;
	origins?: string[];
	rateLimit?: number;
	name?: string;
	expiresAt?: Date;
}

export interface CreatedKey {
	id: string;
	projectId: string;
	key: string;
	prefix: string;
}

/** Normalises an allowed origin: `scheme://host[:port]`, or `scheme://*.domain` for any subdomain. */
export function normaliseOrigin(input: string): string {
	const wildcard = /^(https?):\/\/\*\.([a-z0-9.-]+(?::\d+)?)\/?$/i.exec(input.trim());
	if (wildcard) return `${wildcard[1]?.toLowerCase()}://*.${wildcard[2]?.toLowerCase()}`;
	let url: URL;
	try {
		url = new URL(input.trim());
	} catch {
		throw new Error(`not an origin: ${input} (expected e.g. https://app.example.com or https://*.example.com)`);
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`origin must be http or https: ${input}`);
	if (url.pathname !== "/" || url.search || url.hash) throw new Error(`an origin has no path: ${input}`);
	return url.origin;
}

export async function createApiKey(db: pg.ClientBase, opts: CreateKeyOptions): Promise<CreatedKey> {
	const origins = (opts.origins ?? []).map(normaliseOrigin);
	if (opts.rateLimit !== undefined && (!Number.isInteger(opts.rateLimit) || opts.rateLimit <= 0)) {
		throw new Error("rate limit must be a positive integer (requests per minute)");
	}
	const project = await db.query<{ id: string }>(
		`INSERT INTO projects (name) VALUES ($1)
		 ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
		[opts.project],
	);
	const projectId = project.rows[0]?.id as string;
	const key = generateApiKey();
	const inserted = await db.query<{ id: string }>(
		`INSERT INTO api_keys (project_id, key_hash, prefix, name, allowed_origins, rate_limit, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		[
			projectId,
			await hashApiKey(key),
			keyPrefix(key),
			opts.name ?? null,
			origins,
			opts.rateLimit ?? null,
			opts.expiresAt ?? null,
		],
	);
	return { id: inserted.rows[0]?.id as string, projectId, key, prefix: keyPrefix(key) };
}

export interface KeyListing {
	id: string;
	project: string;
	prefix: string;
	name: string | null;
	allowed_origins: string[];
	rate_limit: number | null;
	created_at: Date;
	expires_at: Date | null;
	revoked_at: Date | null;
	last_used_at: Date | null;
}

export async function listApiKeys(db: pg.ClientBase, project?: string): Promise<KeyListing[]> {
	const result = await db.query<KeyListing>(
		`SELECT k.id, p.name AS project, k.prefix, k.name, k.allowed_origins, k.rate_limit,
		        k.created_at, k.expires_at, k.revoked_at, k.last_used_at
		   FROM api_keys k JOIN projects p ON p.id = k.project_id
		  WHERE $1::text IS NULL OR p.name = $1
		  ORDER BY k.created_at`,
		[project ?? null],
	);
	return result.rows;
}

/** Marks the key revoked; returns its hash (for cache eviction), or null when no such key exists. */
export async function revokeApiKey(db: pg.ClientBase, id: string): Promise<string | null> {
	if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a key id: ${id}`);
	const result = await db.query<{ key_hash: string }>(
		"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING key_hash",
		[id],
	);
	return result.rows[0]?.key_hash ?? null;
}

export interface DrainSettings {
	project: string;
	secret?: string;
	verify?: string;
	clear?: boolean;
}

/** Sets or clears a project's Vercel drain secret and verification code; returns the hashes of its keys. */
export async function setDrainSettings(db: pg.ClientBase, opts: DrainSettings): Promise<string[]> {
	// An empty secret would read as "no secret" and switch signature checks off without saying so.
	if (opts.secret === "") throw new Error("the drain secret must not be empty (use --clear to remove it)");
	if (opts.verify === "") throw new Error("the verification code must not be empty (use --clear to remove it)");
	const result = opts.clear
		? await db.query("UPDATE projects SET drain_secret = NULL, vercel_verify = NULL WHERE name = $1 RETURNING id", [
				opts.project,
			])
		: await db.query(
				`UPDATE projects SET drain_secret = COALESCE($2, drain_secret), vercel_verify = COALESCE($3, vercel_verify)
				  WHERE name = $1 RETURNING id`,
				[opts.project, opts.secret ?? null, opts.verify ?? null],
			);
	if (result.rowCount === 0) throw new Error(`no project named ${opts.project}`);
	const keys = await db.query<{ key_hash: string }>(
		"SELECT k.key_hash FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE p.name = $1",
		[opts.project],
	);
	return keys.rows.map((r) => r.key_hash);
}

/** Removes cached lookups (positive or negative) so a change takes effect at the next request. */
export async function evictCachedKeys(redis: { url?: string; token?: string }, keyHashes: string[]): Promise<boolean> {
	if (!redis.url || !redis.token || keyHashes.length === 0) return false;
	const client = new Redis({ url: redis.url, token: redis.token, enableTelemetry: false });
	await client.del(...keyHashes.map(keyCacheKey));
	return true;
}
