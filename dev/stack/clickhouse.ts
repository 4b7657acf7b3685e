import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type RawInsertFormat, Session } from "chdb";
import {
	createClickHouseServer,
	type Engine,
	EngineError,
	type EngineQuery,
	type EngineResult,
	toEngineError,
} from "./clickhouse-adapter.ts";
import { closeServer, listen } from "./net.ts";

/**
 * Local ClickHouse: the real engine in-process (chdb) behind an HTTP adapter that speaks the
 * ClickHouse HTTP interface, so @clickhouse/client-web talks to it as to a server.
 */
export interface ClickHouseService {
	url: string;
	user: string;
	password: string;
	/** Closes the HTTP listener and drops connections; the engine stays loaded. */
	stop(): Promise<void>;
	/** Listens again on the same port. */
	start(): Promise<void>;
	/** Fault injection: successful INSERTs answer only after `ms` (the rows are stored first), like a server slower than the client's budget. */
	slowInserts(ms: number): void;
	/** Idempotent full shutdown. */
	close(): Promise<void>;
}

export async function startClickHouse(opts: {
	dataDir: string;
	httpPort: number;
	user?: string;
	password?: string;
}): Promise<ClickHouseService> {
	const engine = await acquireEngine(opts.dataDir);
	const user = opts.user ?? "default";
	const password = opts.password ?? "";
	const faults = { insertResponseDelayMs: 0 };
	const server = createClickHouseServer({ engine, user, password, faults });
	try {
		await listen(server, opts.httpPort);
	} catch (err) {
		releaseEngine(engine);
		throw err;
	}
	let closed = false;
	return {
		url: `http://127.0.0.1:${opts.httpPort}`,
		user,
		password,
		stop: () => closeServer(server),
		slowInserts(ms) {
			faults.insertResponseDelayMs = ms;
		},
		async start() {
			if (closed) throw new Error("ClickHouse service is closed");
			if (!server.listening) await listen(server, opts.httpPort);
		},
		async close() {
			if (closed) return;
			closed = true;
			await closeServer(server);
			await engine.idle();
			releaseEngine(engine);
		},
	};
}

// chdb binds one data directory per process (a Session at another path is refused while one
// is open), so every service in this process shares one engine per dataDir, ref-counted.
let shared: { dir: string; engine: Promise<ChdbEngine>; refs: number } | undefined;

async function acquireEngine(dataDir: string): Promise<ChdbEngine> {
	const dir = resolve(dataDir);
	if (shared && shared.dir !== dir) {
		throw new Error(
			`chdb allows one data directory per process: ${shared.dir} is open, cannot open ${dir}. Close the other ClickHouse service first.`,
		);
	}
	if (!shared) {
		mkdirSync(dir, { recursive: true });
		shared = { dir, engine: ChdbEngine.open(dir), refs: 0 };
	}
	const entry = shared;
	entry.refs++;
	try {
		return await entry.engine;
	} catch (err) {
		if (shared === entry) shared = undefined;
		throw err;
	}
}

function releaseEngine(engine: ChdbEngine): void {
	if (!shared || --shared.refs > 0) return;
	shared = undefined;
	engine.close();
}

// The formats chdb can take as a zero-copy raw payload (Session.insert), which also reports written rows.
const RAW_INSERT_FORMATS = new Set([
	"JSONEachRow",
	"JSONCompactEachRow",
	"CSV",
	"CSVWithNames",
	"TSV",
	"TabSeparated",
	"TSVWithNames",
	"TabSeparatedWithNames",
]);
// The shape @clickhouse/client's insert() produces: INSERT INTO db.t (a, b) FORMAT X.
const PLAIN_INSERT =
	/^\s*INSERT\s+INTO\s+([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)\s*(?:\(([A-Za-z0-9_,\s]+)\))?\s*FORMAT\s+([A-Za-z0-9_]+)\s*$/i;
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

/**
 * One chdb Session, used strictly one request at a time. Per-request settings, query params and
 * the database are session state (SET / USE) in chdb, so requests must not interleave; each one
 * sets its state, runs, and puts the state back, which makes the HTTP side stateless like the server.
 */
class ChdbEngine implements Engine {
	readonly version: string;
	readonly timezone: string;
	readonly #session: Session;
	readonly #settingNames: Set<string>;
	#tail: Promise<unknown> = Promise.resolve();

	private constructor(session: Session, version: string, timezone: string, settingNames: Set<string>) {
		this.#session = session;
		this.version = version;
		this.timezone = timezone;
		this.#settingNames = settingNames;
	}

	static async open(dir: string): Promise<ChdbEngine> {
		const session = new Session(dir);
		const meta = (await session.queryAsync("SELECT version() AS v, timezone() AS tz", { format: "JSONEachRow" })).json<{
			v: string;
			tz: string;
		}>();
		const names = (await session.queryAsync("SELECT name FROM system.settings", { format: "TabSeparated" })).text();
		return new ChdbEngine(session, meta.v, meta.tz, new Set(names.split("\n").filter(Boolean)));
	}

	execute(query: EngineQuery): Promise<EngineResult> {
		const run = this.#tail.then(() => this.#run(query));
		this.#tail = run.catch(() => undefined);
		return run;
	}

	/** Resolves once every queued request has finished. */
	async idle(): Promise<void> {
		await this.#tail;
	}

	close(): void {
		this.#session.close();
	}

	async #run(q: EngineQuery): Promise<EngineResult> {
		// Over HTTP, SET and USE only affect their own request; here they would leak into the session.
		if (!q.data && /^\s*(SET|USE)\s/i.test(q.query) && !/;\s*\S/.test(q.query)) return emptyResult(0);

		// Settings this engine does not know (server-only or HTTP-only ones such as
		// send_progress_in_http_headers on some versions) are accepted and ignored.
		const known = Object.entries(q.settings).filter(([k]) => this.#settingNames.has(k));
		const settings = known.map(([k]) => k);
		const assignments = known.map(([k, v]) => `${k} = ${sqlString(v)}`);
		for (const [name, value] of Object.entries(q.params)) {
			if (!IDENTIFIER.test(name)) {
				throw new EngineError(
					36,
					"BAD_ARGUMENTS",
					`Code: 36. DB::Exception: Invalid query parameter name ${name}. (BAD_ARGUMENTS)`,
				);
			}
			// SET param_x keeps the client's escaped text as is, exactly what the server binds.
			assignments.push(`param_${name} = ${sqlString(value)}`);
		}
		const hasParams = Object.keys(q.params).length > 0;
		const useDb = q.database !== "default";
		try {
			if (assignments.length > 0) await this.#session.queryAsync(`SET ${assignments.join(", ")}`);
			if (useDb) await this.#session.queryAsync(`USE ${sqlIdentifier(q.database)}`);
			return await this.#exec(q);
		} finally {
			await this.#reset(settings, hasParams, useDb);
		}
	}

	async #exec(q: EngineQuery): Promise<EngineResult> {
		const [, table, columnList, format] = (q.data && PLAIN_INSERT.exec(q.query)) || [];
		if (q.data && table && format && RAW_INSERT_FORMATS.has(format)) {
			const columns = columnList
				?.split(",")
				.map((c) => c.trim())
				.filter(Boolean);
			const summary = await this.#session.insert({
				table,
				values: q.data,
				format: format as RawInsertFormat,
				columns: columns && columns.length > 0 ? columns : undefined,
			});
			return {
				...emptyResult(summary.elapsed),
				readRows: summary.rowsSent ?? summary.rowsWritten,
				readBytes: summary.bytesSent,
				writtenRows: summary.rowsWritten,
				writtenBytes: summary.bytesWritten,
			};
		}
		const sql = q.data ? `${q.query}\n${q.data.toString("utf8")}` : q.query;
		const r = await this.#session.queryAsync(sql, { format: q.defaultFormat });
		return {
			body: r.bytes(),
			readRows: r.rowsRead,
			readBytes: r.bytesRead,
			writtenRows: 0,
			writtenBytes: 0,
			elapsedNs: r.elapsed * 1e9,
		};
	}

	async #reset(settings: string[], hasParams: boolean, useDb: boolean): Promise<void> {
		try {
			if (settings.length > 0) {
				await this.#session.queryAsync(`SET ${settings.map((k) => `${k} = DEFAULT`).join(", ")}`);
			}
			if (useDb) await this.#session.queryAsync("USE default");
			// A bound query clears every query parameter when it ends, including ones from SET param_x.
			if (hasParams) await this.#session.queryBindAsync("SELECT 1", { reset: "1" });
		} catch (err) {
			console.error("clickhouse: could not reset session state", toEngineError(err).message);
		}
	}
}

function emptyResult(elapsedSeconds: number): EngineResult {
	return {
		body: new Uint8Array(0),
		readRows: 0,
		readBytes: 0,
		writtenRows: 0,
		writtenBytes: 0,
		elapsedNs: elapsedSeconds * 1e9,
	};
}

function sqlString(value: string): string {
	return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function sqlIdentifier(name: string): string {
	return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}
