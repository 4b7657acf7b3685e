import { createBareInsertApp } from "./bare-insert.ts";

interface FloorEnv {
	CLICKHOUSE_URL: string;
	CLICKHOUSE_USER: string;
	CLICKHOUSE_PASSWORD: string;
	CLICKHOUSE_DATABASE: string;
}

let floorEnv: FloorEnv | undefined;

/** The insert the real worker makes (async_insert, waiting for the flush), as one plain fetch. */
async function insert(table: string, rows: string): Promise<void> {
	const env = floorEnv as FloorEnv;
	const url = new URL(env.CLICKHOUSE_URL);
	url.searchParams.set("query", `INSERT INTO ${table} FORMAT JSONEachRow`);
	url.searchParams.set("database", env.CLICKHOUSE_DATABASE);
	url.searchParams.set("async_insert", "1");
	url.searchParams.set("wait_for_async_insert", "1");
	// The tables deduplicate identical blocks (non_replicated_deduplication_window): two equal batches in the same
	// millisecond must stay two, as the real worker's per-request token keeps them.
	url.searchParams.set("insert_deduplication_token", crypto.randomUUID());
	const res = await fetch(url, {
		method: "POST",
		headers: { authorization: `Basic ${btoa(`${env.CLICKHOUSE_USER}:${env.CLICKHOUSE_PASSWORD}`)}` },
		body: rows,
	});
	const answer = await res.text();
	// The bench checks that the floor's rows landed: a refused insert must say why in wrangler's output.
	if (!res.ok) console.error(`floor insert into ${table}: ${res.status} ${answer.slice(0, 300)}`);
}

const app = createBareInsertApp(insert);

/** The cost section's floor worker (bench/bare-insert.ts), served by `wrangler dev` on the bench's stack. */
export default {
	fetch(
		request: Request,
		env: FloorEnv,
		ctx: { waitUntil(p: Promise<unknown>): void; passThroughOnException(): void },
	) {
		floorEnv = env;
		return app.fetch(request, env, ctx as never);
	},
};
