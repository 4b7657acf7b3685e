/**
 * Part 3: end to end on the local stack. A throwaway stack (real Postgres, Redis, ClickHouse engines on free
 * ports in a temp dir), migrations, a key with a high rate limit; `wrangler dev` serves the real worker and
 * the bare worker (bench/bare-worker.ts), each from a temp config next to its own .dev.vars; autocannon posts
 * 50-log batches to each in turn; the rows that land in ClickHouse are counted once the count stops growing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { createApiKey } from "../dev/keys.ts";
import { formatDotenv } from "../dev/local-env.ts";
import { migrateAll } from "../dev/migrate.ts";
import { freePort } from "../dev/stack/net.ts";
import { freePorts, type Stack, startStack } from "../dev/stack/stack.ts";
import { bareConfig, ROOT } from "./bundle.ts";
import { runChild } from "./child.ts";

export interface LoadResult {
	requests: number;
	rps: number;
	durationS: number;
	p50Ms: number;
	p99Ms: number;
	ok2xx: number;
	non2xx: number;
	errors: number;
	timeouts: number;
	statusCodes: Record<string, { count?: number }>;
}

export interface E2eReport {
	real: LoadResult & { rowsLanded: number; rowsPerS: number; settleS: number };
	bare: LoadResult;
	logsPerRequest: number;
	connections: number;
}

const devServers = new Set<ChildProcess>();

/** Stops every `wrangler dev` this bench started (its whole process group: wrangler and its workerd). */
export async function stopDevServers(): Promise<void> {
	await Promise.all([...devServers].map(stopDev));
}

export function stopDev(child: ChildProcess): Promise<void> {
	devServers.delete(child);
	if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
	const pid = child.pid;
	return new Promise((resolve) => {
		const kill = setTimeout(() => {
			try {
				process.kill(-pid, "SIGKILL");
			} catch {}
		}, 5000);
		child.once("exit", () => {
			clearTimeout(kill);
			// workerd may outlive wrangler for a moment: make sure the group is gone.
			try {
				process.kill(-pid, "SIGKILL");
			} catch {}
			resolve();
		});
		try {
			process.kill(-pid, "SIGTERM");
		} catch {
			resolve();
		}
	});
}

/** `wrangler dev` of a config on 127.0.0.1:port, in its own process group; resolves once /health answers. */
export async function startDev(
	config: string,
	port: number,
	stateDir: string,
	/** Worker logs too (default: warnings only), every chunk of wrangler's output handed to onOutput. */
	opts: { logLevel?: "warn" | "log"; onOutput?: (chunk: string) => void } = {},
): Promise<ChildProcess> {
	const child = spawn(
		join(ROOT, "node_modules/.bin/wrangler"),
		[
			"dev",
			"--config",
			config,
			"--port",
			String(port),
			"--ip",
			"127.0.0.1",
			"--inspector-port",
			String(await freePort()),
			"--persist-to",
			stateDir,
			"--show-interactive-dev-session=false",
			// Worker console output (a wide event per request) would flood wrangler's own process.
			"--log-level",
			opts.logLevel ?? "warn",
		],
		{
			cwd: ROOT,
			detached: true,
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" },
		},
	);
	devServers.add(child);
	let out = "";
	const keep = (d: Buffer) => {
		out = (out + d).slice(-4000);
		opts.onOutput?.(d.toString());
	};
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);
	const deadline = Date.now() + 90_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}:\n${out}`);
		try {
			const res = await fetch(`http://127.0.0.1:${port}/health`);
			await res.arrayBuffer();
			if (res.ok) return child;
		} catch {}
		await new Promise((r) => setTimeout(r, 250));
	}
	await stopDev(child);
	throw new Error(`wrangler dev did not answer on :${port} within 90 s:\n${out}`);
}

/**
 * The project's wrangler.toml with its paths (main, assets, aliases) made absolute, in dir, next to a .dev.vars
 * holding the stack's settings.
 */
export function realConfig(dir: string, env: Record<string, string>): string {
	const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
		.replace(/^main\s*=\s*"([^"]+)"/m, (_, main: string) => `main = ${JSON.stringify(join(ROOT, main))}`)
		.replace(/"\.\/([^"]*)"/g, (_, path: string) => JSON.stringify(join(ROOT, path)));
	const path = join(dir, "wrangler.toml");
	writeFileSync(path, toml);
	writeFileSync(join(dir, ".dev.vars"), formatDotenv(env), { mode: 0o600 });
	return path;
}

export async function startBenchStack(dataDir: string): Promise<Stack> {
	return startStack({ dataDir, persistent: false, ports: await freePorts(), redisToken: "bench-token" });
}

export async function runE2e(
	stack: Stack,
	opts: {
		dir: string;
		bodyFile: string;
		logsPerRequest: number;
		seconds: number;
		connections: number;
		compatibilityDate: string;
	},
): Promise<E2eReport> {
	await migrateAll(stack.env);
	const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
	await db.connect();
	const key = await createApiKey(db, {
		project: `bench-${Date.now()}`,
		name: "npm run bench",
		rateLimit: 10_000_000,
	}).finally(() => db.end());

	const realDir = join(opts.dir, "real");
	const bareDir = join(opts.dir, "bare");
	const [realPort, barePort] = [await freePort(), await freePort()];
	mkdirSync(realDir, { recursive: true });
	mkdirSync(bareDir, { recursive: true });
	const [real, bare] = await Promise.all([
		startDev(realConfig(realDir, stack.env), realPort, join(realDir, "state")),
		startDev(bareConfig(bareDir, opts.compatibilityDate), barePort, join(bareDir, "state")),
	]);

	const ch = createClient({
		url: stack.env.CLICKHOUSE_URL,
		username: stack.env.CLICKHOUSE_USER,
		password: stack.env.CLICKHOUSE_PASSWORD,
		database: stack.env.CLICKHOUSE_DATABASE,
	});
	const countRows = async () => {
		const rs = await ch.query({
			query: "SELECT count() AS n FROM logs WHERE project_id = {p:UUID}",
			query_params: { p: key.projectId },
			format: "JSONEachRow",
		});
		const rows = (await rs.json()) as { n: string | number }[];
		return Number(rows[0]?.n ?? 0);
	};

	try {
		// A few requests first: the key reaches the isolate cache, the first insert creates the parts.
		for (let i = 0; i < 5; i++) {
			const res = await fetch(`http://127.0.0.1:${realPort}/ingest/logs`, {
				method: "POST",
				headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
				body: readFileSync(opts.bodyFile, "utf8"),
			});
			const text = await res.text();
			if (res.status !== 200) throw new Error(`warm-up request: ${res.status} ${text}`);
		}
		const load = (port: number) =>
			runChild<LoadResult>(join(import.meta.dirname, "load.ts"), [
				`http://127.0.0.1:${port}/ingest/logs`,
				key.key,
				opts.bodyFile,
				String(opts.seconds),
				String(opts.connections),
			]);
		const bareResult = await load(barePort);
		const before = await countRows();
		const realResult = await load(realPort);
		// Rows are written in waitUntil: wait until the count stops growing.
		const loadEnd = Date.now();
		let landed = await countRows();
		for (let stable = 0; stable < 3 && Date.now() - loadEnd < 30_000; ) {
			await new Promise((r) => setTimeout(r, 500));
			const n = await countRows();
			stable = n === landed ? stable + 1 : 0;
			landed = n;
		}
		const rowsLanded = landed - before;
		return {
			real: {
				...realResult,
				rowsLanded,
				rowsPerS: rowsLanded / realResult.durationS,
				settleS: (Date.now() - loadEnd) / 1000,
			},
			bare: bareResult,
			logsPerRequest: opts.logsPerRequest,
			connections: opts.connections,
		};
	} finally {
		await ch.close();
		await Promise.all([stopDev(real), stopDev(bare)]);
	}
}
