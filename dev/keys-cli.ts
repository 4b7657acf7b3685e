import { parseArgs } from "node:util";
import pg from "pg";
import { hashApiKey } from "../src/auth/key.ts";
import { createApiKey, evictCachedKeys, listApiKeys, revokeApiKey, setDrainSettings } from "./keys.ts";
import { loadLocalEnv } from "./local-env.ts";

const USAGE = `usage:
  npm run keys -- create --project NAME [--origin URL]... [--rate-limit N] [--name LABEL] [--expires-in-days N]
  npm run keys -- list [--project NAME]
  npm run keys -- revoke ID
  npm run keys -- drain --project NAME [--secret SECRET] [--verify CODE] [--clear]

Uses DATABASE_URL (and UPSTASH_REDIS_REST_URL/TOKEN to evict cached lookups) from the environment,
else from the .dev.vars written by \`npm run stack\`.`;

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
	args: rest,
	allowPositionals: true,
	options: {
		project: { type: "string" },
		origin: { type: "string", multiple: true },
		"rate-limit": { type: "string" },
		name: { type: "string" },
		"expires-in-days": { type: "string" },
		secret: { type: "string" },
		verify: { type: "string" },
		clear: { type: "boolean" },
	},
});

const env = loadLocalEnv();
if (!command || command === "help" || command === "--help") fail(USAGE);
if (!env.DATABASE_URL) fail("DATABASE_URL is not set: run `npm run stack` (or `npm run dev`) first, or export it.");
const redis = { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN };

async function evict(hashes: string[]) {
	try {
		await evictCachedKeys(redis, hashes);
	} catch (err) {
		console.error(
			`warning: could not evict cached lookups (${err instanceof Error ? err.message : err}); they expire within 60 s`,
		);
	}
}

const db = new pg.Client({ connectionString: env.DATABASE_URL });
await db.connect();
try {
	switch (command) {
		case "create": {
			if (!values.project) fail(USAGE);
			const rateLimit = values["rate-limit"] === undefined ? undefined : Number(values["rate-limit"]);
			const days = values["expires-in-days"] === undefined ? undefined : Number(values["expires-in-days"]);
			if (days !== undefined && !(days > 0)) fail("--expires-in-days must be a positive number");
			const created = await createApiKey(db, {
				project: values.project,
				origins: values.origin,
				rateLimit,
				name: values.name,
				expiresAt: days === undefined ? undefined : new Date(Date.now() + days * 86_400_000),
			});
			await evict([await hashApiKey(created.key)]);
			console.error(`created key ${created.id} (${created.prefix}…) for project ${values.project}; it is shown once:`);
			console.log(created.key);
			break;
		}
		case "list": {
			const rows = await listApiKeys(db, values.project);
			console.table(
				rows.map((r) => ({
					id: r.id,
					project: r.project,
					prefix: r.prefix,
					name: r.name ?? "",
					origins: r.allowed_origins.join(" ") || "*",
					rate_limit: r.rate_limit ?? "default",
					created: r.created_at.toISOString(),
					last_used: r.last_used_at?.toISOString() ?? "",
					status: r.revoked_at ? "revoked" : r.expires_at && r.expires_at < new Date() ? "expired" : "active",
				})),
			);
			break;
		}
		case "revoke": {
			const id = positionals[0];
			if (!id) fail(USAGE);
			const hash = await revokeApiKey(db, id);
			if (!hash) fail(`no key with id ${id}`);
			await evict([hash]);
			console.log(`revoked ${id}; it stops working everywhere within 60 s`);
			break;
		}
		case "drain": {
			if (!values.project) fail(USAGE);
			const hashes = await setDrainSettings(db, {
				project: values.project,
				secret: values.secret,
				verify: values.verify,
				clear: values.clear,
			});
			await evict(hashes);
			console.log(
				values.clear ? `cleared drain settings of ${values.project}` : `updated drain settings of ${values.project}`,
			);
			break;
		}
		default:
			fail(USAGE);
	}
} catch (err) {
	fail(`keys ${command} failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
	await db.end();
}
