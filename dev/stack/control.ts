import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";
import { hashApiKey } from "../../src/auth/key.ts";
import { createApiKey, evictCachedKeys, revokeApiKey, setDrainSettings } from "../keys.ts";
import { evictCachedPrices, setPrice } from "../prices.ts";
import { closeServer, listen, readBody } from "./net.ts";
import type { ServiceName, Stack } from "./stack.ts";

/**
 * A loopback control plane for tests that run inside workerd and so cannot spawn processes or speak TCP:
 * stop and start a backing service for real, and manage keys and prices the way their CLIs do.
 */
export async function startControlServer(stack: Stack, port: number): Promise<{ url: string; close(): Promise<void> }> {
	const redis = { url: stack.env.UPSTASH_REDIS_REST_URL, token: stack.env.UPSTASH_REDIS_REST_TOKEN };
	const withDb = async <T>(fn: (db: pg.Client) => Promise<T>): Promise<T> => {
		const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
		await db.connect();
		try {
			return await fn(db);
		} finally {
			await db.end();
		}
	};

	const routes: Record<string, (body: Record<string, unknown>, match: RegExpExecArray) => Promise<unknown>> = {
		"^/services/(clickhouse|redis|postgres)/(stop|start)$": async (_b, m) => {
			const name = m[1] as ServiceName;
			await (m[2] === "stop" ? stack.stop(name) : stack.start(name));
			return { ok: true };
		},
		"^/services/clickhouse/slow-inserts$": async (b) => {
			stack.clickhouse.slowInserts(Number(b.ms ?? 0));
			return { ok: true };
		},
		"^/stats$": async () => ({ postgresSqlRequests: stack.postgres.sqlRequests() }),
		"^/keys$": async (b) => {
			const created = await withDb((db) => createApiKey(db, b as never));
			await evictCachedKeys(redis, [await hashApiKey(created.key)]);
			return created;
		},
		"^/keys/([0-9a-f-]{36})/revoke$": async (b, m) => {
			const hash = await withDb((db) => revokeApiKey(db, m[1] as string));
			// The CLI evicts the cache; `evict: false` shows the bound that holds when nobody does.
			if (hash && b.evict !== false) await evictCachedKeys(redis, [hash]);
			return { ok: hash !== null };
		},
		"^/drain$": async (b) => {
			const hashes = await withDb((db) => setDrainSettings(db, b as never));
			await evictCachedKeys(redis, hashes);
			return { ok: true };
		},
		"^/prices/set$": async (b) => {
			const { row, written } = await withDb((db) => setPrice(db, b as never));
			// The CLI drops Redis's copy; `evict: false` shows the bound that holds when nobody does.
			if (b.evict !== false) await evictCachedPrices(redis);
			return { row, revision: written.revision };
		},
		"^/prices/evict$": async () => ({ ok: await evictCachedPrices(redis) }),
		"^/sql$": async (b) => withDb(async (db) => (await db.query(String(b.query), (b.params as unknown[]) ?? [])).rows),
	};

	const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
		try {
			const path = new URL(req.url ?? "/", "http://x").pathname;
			for (const [pattern, handler] of Object.entries(routes)) {
				const m = new RegExp(pattern).exec(path);
				if (!m || req.method !== "POST") continue;
				const raw = (await readBody(req)).toString("utf8");
				const result = await handler(raw ? JSON.parse(raw) : {}, m);
				res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
				return;
			}
			res.writeHead(404).end();
		} catch (err) {
			res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(err) }));
		}
	});
	await listen(server, port);
	return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}
