// Neon's SQL-over-HTTP protocol (what `neon()` from @neondatabase/serverless sends) in front of a local Postgres.
// Behaviour follows neondatabase/neon proxy/src/serverless/sql_over_http.rs; see docs/reference/protocols.md §A.
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { closeServer, createServer, listen, readBody } from "./net.ts";

interface QueryData {
	query: string;
	params?: unknown[];
	arrayMode?: boolean;
}

interface Options {
	rawText: boolean;
	arrayMode: boolean;
}

/** An error answered as-is: `status` with a JSON body. */
class HttpError extends Error {
	status: number;
	body: Record<string, unknown>;
	constructor(status: number, body: Record<string, unknown>) {
		super(String(body.message));
		this.status = status;
		this.body = body;
	}
}

const ISOLATION: Record<string, string> = {
	ReadUncommitted: "READ UNCOMMITTED",
	ReadCommitted: "READ COMMITTED",
	RepeatableRead: "REPEATABLE READ",
	Serializable: "SERIALIZABLE",
};

// The DatabaseError fields Neon copies into its error body (the client copies them onto NeonDbError).
const ERROR_FIELDS = [
	"code",
	"severity",
	"detail",
	"hint",
	"position",
	"internalPosition",
	"internalQuery",
	"where",
	"schema",
	"table",
	"column",
	"dataType",
	"constraint",
	"file",
	"line",
	"routine",
] as const;

// Every column stays in Postgres text format; the client parses it by dataTypeID.
const textTypes = { getTypeParser: () => (value: string) => value };

export interface NeonAdapter {
	url: string;
	/** SQL requests served so far (what a flood of random keys must not drive up). */
	requests(): number;
	close(): Promise<void>;
}

export async function startNeonAdapter(opts: { port: number }): Promise<NeonAdapter> {
	const pools = new Map<string, pg.Pool>();
	let served = 0;

	const poolFor = (connectionString: string | undefined): pg.Pool => {
		const config = parseConnectionString(connectionString);
		const key = JSON.stringify(config);
		let pool = pools.get(key);
		if (!pool) {
			pool = new pg.Pool({
				...config,
				max: 10,
				idleTimeoutMillis: 10_000,
				connectionTimeoutMillis: 2_000,
			});
			// Idle clients die when the engine stops; without a listener that would crash the process.
			pool.on("error", () => undefined);
			pools.set(key, pool);
		}
		return pool;
	};

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const path = new URL(req.url ?? "/", "http://x").pathname;
		if (req.method !== "POST" || !path.endsWith("/sql")) {
			throw new HttpError(404, { message: "not found: POST <anything>/sql" });
		}
		const header = (name: string) => req.headers[name.toLowerCase()] as string | undefined;
		const options: Options = {
			rawText: header("Neon-Raw-Text-Output") === "true",
			arrayMode: header("Neon-Array-Mode") === "true",
		};
		const isolationHeader = header("Neon-Batch-Isolation-Level");
		const isolation = isolationHeader === undefined ? undefined : ISOLATION[isolationHeader];
		if (isolationHeader !== undefined && isolation === undefined) {
			throw new HttpError(400, { message: "invalid isolation level" });
		}
		const readOnly = header("Neon-Batch-Read-Only") === "true";
		const deferrable = header("Neon-Batch-Deferrable") === "true";

		// Body is JSON whatever the Content-Type (the client sends text/plain).
		let payload: { queries?: unknown } | null;
		try {
			payload = JSON.parse((await readBody(req)).toString("utf8"));
		} catch (err) {
			throw new HttpError(400, {
				message: `could not parse request body as JSON: ${(err as Error).message}`,
			});
		}
		const queries = Array.isArray(payload?.queries) ? payload.queries.map(validQuery) : undefined;
		const single = queries ? undefined : validQuery(payload);
		const pool = poolFor(header("Neon-Connection-String"));
		const client = await connect(pool);
		let broken = false;
		// Between the statements of a batch no query is active, so a dying connection reports here instead.
		const onClientError = () => {
			broken = true;
		};
		client.on("error", onClientError);
		try {
			if (queries) {
				const mode = [isolation && `ISOLATION LEVEL ${isolation}`, readOnly && "READ ONLY", deferrable && "DEFERRABLE"];
				await run(client, { query: ["BEGIN", ...mode.filter(Boolean)].join(" ") }, options);
				const results = [];
				try {
					for (const q of queries) results.push(await run(client, q, options));
					await run(client, { query: "COMMIT" }, options);
				} catch (err) {
					await client.query("ROLLBACK").catch(() => {
						broken = true;
					});
					throw err;
				}
				const echo: Record<string, string> = {};
				if (readOnly) echo["Neon-Batch-Read-Only"] = "true";
				if (deferrable) echo["Neon-Batch-Deferrable"] = "true";
				if (isolationHeader) echo["Neon-Batch-Isolation-Level"] = isolationHeader;
				send(res, 200, { results }, echo);
			} else {
				send(res, 200, await run(client, single as QueryData, options));
			}
		} catch (err) {
			// A connection-level failure (no SQLSTATE) leaves the client unusable: drop it rather than pool it.
			if (!(err instanceof pg.DatabaseError) && !(err instanceof HttpError)) broken = true;
			throw err;
		} finally {
			client.off("error", onClientError);
			client.release(broken);
		}
	};

	const server = createServer((req, res) => {
		served++;
		handle(req, res).catch((err: unknown) => {
			if (err instanceof HttpError) send(res, err.status, err.body);
			else send(res, 400, errorBody(err));
		});
	});
	await listen(server, opts.port);

	return {
		url: `http://127.0.0.1:${opts.port}`,
		requests: () => served,
		async close() {
			await closeServer(server);
			await Promise.all([...pools.values()].map((p) => p.end()));
			pools.clear();
		},
	};
}

/** Pool config from Neon-Connection-String; query parameters other than application_name (sslmode, options the client or user appended) do not apply locally. */
function parseConnectionString(value: string | undefined): pg.PoolConfig {
	let url: URL;
	try {
		url = new URL(value ?? "");
	} catch {
		throw new HttpError(400, {
			message: "missing or invalid Neon-Connection-String header",
		});
	}
	if (!/^postgres(ql)?:$/.test(url.protocol) || !url.username || url.pathname.length < 2) {
		throw new HttpError(400, {
			message: "Neon-Connection-String must be postgres://user:password@host:port/database",
		});
	}
	return {
		host: url.hostname,
		port: Number(url.port || 5432),
		user: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
		database: decodeURIComponent(url.pathname.slice(1)),
		application_name: url.searchParams.get("application_name") ?? undefined,
	};
}

/** Connection failures: Postgres-reported ones (bad password, unknown database) are the caller's 400; an unreachable engine is a 500, as on Neon. */
async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
	try {
		return await pool.connect();
	} catch (err) {
		if (err instanceof pg.DatabaseError) throw err;
		throw new HttpError(500, {
			message: `Couldn't connect to compute node: ${(err as Error).message || String(err)}`,
		});
	}
}

function validQuery(value: unknown): QueryData {
	const q = value as QueryData | null;
	if (!q || typeof q.query !== "string" || (q.params !== undefined && !Array.isArray(q.params))) {
		throw new HttpError(400, {
			message: "request body must be {query, params} or {queries: [{query, params}, ...]}",
		});
	}
	return q;
}

async function run(client: pg.PoolClient, data: QueryData, options: Options) {
	const arrayMode = data.arrayMode ?? options.arrayMode;
	const config: pg.QueryArrayConfig & { queryMode: "extended" } = {
		text: data.query,
		values: (data.params ?? []).map(toPgText),
		rowMode: "array",
		types: textTypes as pg.CustomTypesConfig,
		// Neon runs every query through the extended protocol, so multi-statement strings fail there too.
		queryMode: "extended",
	};
	const result = await client.query(config);
	const fields = result.fields.map((f) => ({
		name: f.name,
		dataTypeID: f.dataTypeID,
		tableID: f.tableID,
		columnID: f.columnID,
		dataTypeSize: f.dataTypeSize,
		dataTypeModifier: f.dataTypeModifier,
		format: "text",
	}));
	const convert = fields.map((f) => (options.rawText ? (v: string) => v : jsonParser(f.dataTypeID)));
	const rows = (result.rows as (string | null)[][]).map((row) => {
		const values = convert.map((parse, i) => {
			const v = row[i];
			return v === null || v === undefined ? null : parse(v);
		});
		return arrayMode ? values : Object.fromEntries(fields.map((f, i) => [f.name, values[i]]));
	});
	return {
		command: result.command,
		rowCount: result.rowCount,
		rows,
		fields,
		rowAsArray: arrayMode,
	};
}

/** JSON params to Postgres text, as Neon does: strings as-is, arrays as array literals, other values JSON-encoded. */
function toPgText(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	if (typeof value === "string") return value;
	if (Array.isArray(value)) return arrayLiteral(value);
	return JSON.stringify(value);
}

function arrayLiteral(value: unknown): string {
	if (value === null || value === undefined) return "NULL";
	if (Array.isArray(value)) return `{${value.map(arrayLiteral).join(",")}}`;
	return JSON.stringify(typeof value === "object" ? JSON.stringify(value) : value);
}

// Non-raw output converts text to JSON types the way Neon does: bool, int2/int4, float, json; the rest stays text.
const JSON_SCALARS = new Set([16, 21, 23, 700, 701, 114, 3802]);
const JSON_ARRAYS = new Set([1000, 1005, 1007, 1021, 1022, 199, 3807]);
const TEXT_ARRAYS = new Set([1009, 1015, 1014, 1016, 1231, 1115, 1185, 1182, 1183, 2951, 1001, 1028]);

const TEXT_ARRAY: number = 1009;

function jsonParser(oid: number): (value: string) => unknown {
	if (JSON_SCALARS.has(oid) || JSON_ARRAYS.has(oid)) {
		const parse = pg.types.getTypeParser(oid, "text");
		// Neon passes non-finite floats as strings (JSON has no NaN/Infinity).
		return (v) => {
			const out = parse(v);
			return typeof out === "number" && !Number.isFinite(out) ? v : out;
		};
	}
	if (TEXT_ARRAYS.has(oid)) return pg.types.getTypeParser(TEXT_ARRAY, "text");
	return (v) => v;
}

function errorBody(err: unknown): Record<string, unknown> {
	const e = err as Record<string, unknown> & Error;
	const body: Record<string, unknown> = { message: e?.message || String(err) };
	if (err instanceof pg.DatabaseError) {
		for (const key of ERROR_FIELDS) if (e[key] !== undefined) body[key] = e[key];
	}
	return body;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (res.headersSent) return;
	res.writeHead(status, {
		"Content-Type": "application/json",
		"Access-Control-Allow-Origin": "*",
		...headers,
	});
	res.end(JSON.stringify(body));
}
