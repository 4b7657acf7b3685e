/**
 * `npm run load`: a bounded load test on loopback. A throwaway local stack, the real worker under `wrangler dev`,
 * autocannon posting a fixed number of 50-log batches over many connections (every response is counted, so the
 * rows acknowledged are exact). Checks: zero 5xx, and rows stored in ClickHouse = rows
 * acknowledged; prints latency percentiles. Exits 1 when an invariant breaks.
 *   npm run load -- [requests=10000] [connections=64]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { createApiKey } from "../dev/keys.ts";
import { migrateAll } from "../dev/migrate.ts";
import { freePort } from "../dev/stack/net.ts";
import { killChildren, runChild } from "./child.ts";
import { type LoadResult, realConfig, startBenchStack, startDev, stopDevServers } from "./e2e.ts";
import { logsBody } from "./payloads.ts";

export interface SoakReport extends LoadResult {
	connections: number;
	acknowledgedRows: number;
	storedRows: number;
	status5xx: number;
}

export async function soak(requests: number, connections: number): Promise<SoakReport> {
	const dir = mkdtempSync(join(tmpdir(), "deeptracer-load-"));
	const stack = await startBenchStack(join(dir, "stack"));
	try {
		await migrateAll(stack.env);
		const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
		await db.connect();
		const key = await createApiKey(db, { project: `load-${Date.now()}`, rateLimit: 100_000_000 }).finally(() =>
			db.end(),
		);
		const workerDir = join(dir, "worker");
		mkdirSync(workerDir, { recursive: true });
		const port = await freePort();
		await startDev(realConfig(workerDir, stack.env), port, join(workerDir, "state"));
		const bodyFile = join(dir, "logs50.json");
		writeFileSync(bodyFile, logsBody(50));

		const result = await runChild<LoadResult>(
			join(import.meta.dirname, "load.ts"),
			[`http://127.0.0.1:${port}/ingest/logs`, key.key, bodyFile, "0", String(connections), String(requests)],
			[],
			30 * 60_000,
		);

		const ch = createClient({
			url: stack.env.CLICKHOUSE_URL,
			username: stack.env.CLICKHOUSE_USER,
			password: stack.env.CLICKHOUSE_PASSWORD,
			database: stack.env.CLICKHOUSE_DATABASE,
			request_timeout: 120_000,
		});
		const count = async () => {
			const rs = await ch.query({
				query: "SELECT count() AS n FROM logs WHERE project_id = {p:UUID}",
				query_params: { p: key.projectId },
				format: "JSONEachRow",
			});
			return Number(((await rs.json()) as { n: number | string }[])[0]?.n ?? 0);
		};
		// Rows are written in waitUntil, and what missed the retry budget waits in the spill for the cron replay
		// (which wrangler dev does not fire): replay, and wait until the count stops growing.
		const replay = () => fetch(`http://127.0.0.1:${port}/cdn-cgi/local/scheduled`).then((r) => r.text());
		let stored = await count();
		for (let stable = 0, start = Date.now(); stable < 4 && Date.now() - start < 180_000; ) {
			await replay();
			await new Promise((r) => setTimeout(r, 1000));
			const n = await count();
			stable = n === stored ? stable + 1 : 0;
			stored = n;
		}
		await ch.close();
		const status5xx = Object.entries(result.statusCodes)
			.filter(([code]) => Number(code) >= 500)
			.reduce((n, [, s]) => n + (s.count ?? 0), 0);
		return { ...result, connections, acknowledgedRows: result.ok2xx * 50, storedRows: stored, status5xx };
	} finally {
		await stopDevServers();
		await stack.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.main) {
	const [requests = "10000", connections = "64"] = process.argv.slice(2);
	const stop = async () => {
		killChildren();
		await stopDevServers();
		process.exit(130);
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
	const r = await soak(Number(requests), Number(connections));
	console.log(
		[
			`load: ${r.requests} requests in ${r.durationS} s over ${r.connections} connections (${r.rps.toFixed(0)} req/s)`,
			`latency p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
			`status: ${JSON.stringify(Object.fromEntries(Object.entries(r.statusCodes).map(([k, v]) => [k, v.count])))}, 5xx ${r.status5xx}, socket errors ${r.errors}, timeouts ${r.timeouts}`,
			`rows acknowledged ${r.acknowledgedRows}, rows stored ${r.storedRows}`,
		].join("\n"),
	);
	const ok = r.status5xx === 0 && r.storedRows === r.acknowledgedRows && r.errors === 0;
	console.log(ok ? "load: PASS" : "load: FAIL");
	process.exit(ok ? 0 : 1);
}
