import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realConfig, startDev, stopDevServers } from "../../bench/e2e.ts";
import { createApiKey } from "../../dev/keys.ts";
import { migrateAll } from "../../dev/migrate.ts";
import { freePort, listen } from "../../dev/stack/net.ts";
import { freePorts, type Stack, startStack } from "../../dev/stack/stack.ts";
import { CHROMIUM, ensureProgram } from "../../dev/stack/system-package.ts";

// A real headless Chromium sends navigator.sendBeacon (no Authorization header possible: the key rides in the query
// string) to the worker under `wrangler dev` on a throwaway stack, from a page on an allowed origin and from an
// iframe on a refused one; the rows are read back from ClickHouse, and wrangler's whole output (the worker's wide
// events included) must never hold the key. Chromium comes from the system package manager (installed when missing,
// as redis-server is; DT_CHROMIUM=/path overrides): without it this test fails, it never skips.

const page = (workerUrl: string, key: string, child?: string) => `<!doctype html><meta charset="utf-8"><script>
const body = JSON.stringify({ service: "browser", logs: [{ level: "info", message: "beacon from " + location.origin }] });
const queued = navigator.sendBeacon(${JSON.stringify(`${workerUrl}/ingest/logs?key=${key}`)}, body);
fetch("/sent?origin=" + encodeURIComponent(location.origin) + "&queued=" + queued);
</script>${child ? `<iframe src="${child}"></iframe>` : ""}`;

describe("browser beacons in a real Chromium", () => {
	let dir: string;
	let stack: Stack;
	let chromium: string;
	let site: Server;
	const output: string[] = [];
	const sent = new Map<string, string>();

	beforeAll(async () => {
		chromium = await ensureProgram(CHROMIUM);
		dir = mkdtempSync(join(tmpdir(), "deeptracer-beacon-"));
		stack = await startStack({ dataDir: join(dir, "stack"), persistent: false, ports: await freePorts() });
		await migrateAll(stack.env);
	}, 180_000);

	afterAll(async () => {
		await stopDevServers();
		site?.close();
		await stack?.close();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it("stores the allowed origin's beacon, refuses the other's, and logs neither key nor query", async () => {
		const sitePort = await freePort();
		const allowed = `http://127.0.0.1:${sitePort}`;
		const refused = `http://localhost:${sitePort}`;
		const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
		await db.connect();
		const key = await createApiKey(db, { project: `beacon-${Date.now()}`, origins: [allowed] }).finally(() => db.end());

		const workerPort = await freePort();
		const workerDir = join(dir, "worker");
		mkdirSync(workerDir, { recursive: true });
		await startDev(realConfig(workerDir, stack.env), workerPort, join(workerDir, "state"), {
			logLevel: "log",
			onOutput: (chunk) => output.push(chunk),
		});
		const workerUrl = `http://127.0.0.1:${workerPort}`;

		site = createServer((req, res) => {
			const url = new URL(req.url ?? "/", "http://site");
			if (url.pathname === "/sent")
				sent.set(url.searchParams.get("origin") ?? "", url.searchParams.get("queued") ?? "");
			const html = url.pathname === "/" ? page(workerUrl, key.key, `${refused}/child`) : page(workerUrl, key.key);
			res.writeHead(200, { "content-type": "text/html" }).end(url.pathname === "/sent" ? "" : html);
		});
		await listen(site, sitePort);

		const browser: ChildProcess = spawn(
			chromium,
			[
				"--headless=new",
				"--no-sandbox", // CI runs as root
				"--disable-gpu",
				"--disable-dev-shm-usage",
				"--no-first-run",
				`--user-data-dir=${join(dir, "chromium")}`,
				`${allowed}/`,
			],
			{ stdio: "ignore", detached: true },
		);
		const ch = createClient({ url: stack.env.CLICKHOUSE_URL, password: stack.env.CLICKHOUSE_PASSWORD });
		try {
			const rows = async () => {
				const rs = await ch.query({
					query: "SELECT message FROM deeptracer.logs WHERE project_id = {p:UUID} ORDER BY message",
					query_params: { p: key.projectId },
					format: "JSONEachRow",
				});
				return ((await rs.json()) as { message: string }[]).map((r) => r.message);
			};
			const refusedSeen = () => output.join("").includes('"outcome":"origin_refused"');
			for (const start = Date.now(); Date.now() - start < 30_000; ) {
				if (sent.size === 2 && refusedSeen() && (await rows()).length > 0) break;
				await new Promise((r) => setTimeout(r, 250));
			}
			expect(Object.fromEntries(sent)).toEqual({ [allowed]: "true", [refused]: "true" });
			expect(await rows()).toEqual([`beacon from ${allowed}`]);
			expect(refusedSeen(), "the refused origin's beacon reached the worker").toBe(true);
		} finally {
			if (browser.pid) process.kill(-browser.pid, "SIGKILL");
			await ch.close();
		}

		const logged = output.join("");
		expect(logged).toContain('"route":"/ingest/logs"');
		expect(logged).not.toContain(key.key);
		expect(logged).not.toContain("key=");
	}, 120_000);
});
