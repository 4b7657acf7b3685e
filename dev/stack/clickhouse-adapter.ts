import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer, readBody } from "./net.ts";

/**
 * The ClickHouse HTTP interface (the subset @clickhouse/client-web 1.x uses) in front of an
 * embedded engine. This file knows HTTP; the engine behind {@link Engine} knows SQL.
 */

/** One query as the engine sees it, after HTTP parsing. */
export interface EngineQuery {
	/** SQL text (URL `query` param, or the body when there is none). */
	query: string;
	/** Body that follows a URL query, e.g. the rows of `INSERT ... FORMAT X`. */
	data?: Buffer;
	database: string;
	/** Everything in the URL that is not a reserved HTTP param: candidate settings. */
	settings: Record<string, string>;
	/** `param_<name>` values, still in the client's escaped text form. */
	params: Record<string, string>;
	/** Output format when the query has no FORMAT clause. */
	defaultFormat: string;
}

export interface EngineResult {
	body: Uint8Array;
	readRows: number;
	readBytes: number;
	writtenRows: number;
	writtenBytes: number;
	elapsedNs: number;
}

export interface Engine {
	readonly version: string;
	readonly timezone: string;
	execute(query: EngineQuery): Promise<EngineResult>;
}

/** A ClickHouse exception: numeric code, TYPE name, and the full `Code: N. DB::Exception: ...` text. */
export class EngineError extends Error {
	readonly code: number;
	readonly type: string;
	constructor(code: number, type: string, message: string) {
		super(message);
		this.code = code;
		this.type = type;
	}
}

/** Turns anything the engine threw into an EngineError (chdb messages already carry code and TYPE). */
export function toEngineError(err: unknown): EngineError {
	if (err instanceof EngineError) return err;
	const message = err instanceof Error ? err.message : String(err);
	const m = /Code: (\d+)\.[\s\S]*\(([A-Z0-9_]*[A-Z]{3}[A-Z0-9_]*)\)/.exec(message);
	if (m?.[2]) return new EngineError(Number(m[1]), m[2], message.trim());
	return new EngineError(1001, "STD_EXCEPTION", `Code: 1001. DB::Exception: ${message}. (STD_EXCEPTION)`);
}

// Params the server itself consumes; every other URL param is a setting (see HTTPHandler).
const RESERVED = new Set([
	"query",
	"database",
	"default_format",
	"user",
	"password",
	"quota_key",
	"query_id",
	"stacktrace",
	"role",
	"session_id",
	"session_timeout",
	"session_check",
	"close_session",
	"client_protocol_version",
	"buffer_size",
	"wait_end_of_query",
	"compress",
	"decompress",
	"http_native_compression_disable_checksumming_on_decompress",
]);

// Status mapping of the real server (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp), by TYPE name.
const STATUS_BY_TYPE: Record<string, number> = {};
for (const t of [
	"BAD_ARGUMENTS",
	"CANNOT_COMPILE_REGEXP",
	"CANNOT_PARSE_TEXT",
	"CANNOT_PARSE_ESCAPE_SEQUENCE",
	"CANNOT_PARSE_QUOTED_STRING",
	"CANNOT_PARSE_DATE",
	"CANNOT_PARSE_DATETIME",
	"CANNOT_PARSE_NUMBER",
	"CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
	"CANNOT_PARSE_IPV4",
	"CANNOT_PARSE_IPV6",
	"CANNOT_PARSE_INPUT_ASSERTION_FAILED",
	"CANNOT_PARSE_UUID",
	"DUPLICATE_COLUMN",
	"ILLEGAL_COLUMN",
	"UNKNOWN_ELEMENT_IN_AST",
	"UNKNOWN_TYPE_OF_AST_NODE",
	"THERE_IS_NO_COLUMN",
	"TOO_DEEP_AST",
	"TOO_BIG_AST",
	"UNEXPECTED_AST_STRUCTURE",
	"SYNTAX_ERROR",
	"INCORRECT_DATA",
	"TYPE_MISMATCH",
	"VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
])
	STATUS_BY_TYPE[t] = 400;
for (const t of [
	"UNKNOWN_TABLE",
	"UNKNOWN_FUNCTION",
	"UNKNOWN_IDENTIFIER",
	"UNKNOWN_TYPE",
	"UNKNOWN_STORAGE",
	"UNKNOWN_DATABASE",
	"UNKNOWN_SETTING",
	"UNKNOWN_DIRECTION_OF_SORTING",
	"UNKNOWN_AGGREGATE_FUNCTION",
	"UNKNOWN_FORMAT",
	"UNKNOWN_DATABASE_ENGINE",
	"UNKNOWN_TYPE_OF_QUERY",
	"UNKNOWN_ROLE",
])
	STATUS_BY_TYPE[t] = 404;
for (const t of ["UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"])
	STATUS_BY_TYPE[t] = 403;
Object.assign(STATUS_BY_TYPE, {
	REQUIRED_PASSWORD: 401,
	QUERY_IS_TOO_LARGE: 413,
	NOT_IMPLEMENTED: 501,
	SOCKET_TIMEOUT: 503,
	CANNOT_OPEN_FILE: 503,
	TIMEOUT_EXCEEDED: 408,
});

export interface ClickHouseServerOptions {
	engine: Engine;
	user: string;
	password: string;
	/** Fault injection for tests, read per request: answer successful INSERTs only after this delay (the rows are already stored). */
	faults?: { insertResponseDelayMs: number };
}

/** A node:http server speaking the ClickHouse HTTP interface; not yet listening. */
export function createClickHouseServer(opts: ClickHouseServerOptions): Server {
	return createServer((req, res) => {
		handle(opts, req, res).catch((err: unknown) => {
			// Reading the request or writing the response failed (client gone, or a bug): answer if still possible.
			if (!res.headersSent) sendError(res, opts.engine, randomUUID(), toEngineError(err));
			else res.destroy();
		});
	});
}

async function handle(opts: ClickHouseServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
	const url = new URL(req.url ?? "/", "http://localhost");
	const body = await readBody(req);
	const params = new Map(url.searchParams);
	const queryId = params.get("query_id") || randomUUID();
	const { engine } = opts;

	if (url.pathname === "/ping" || url.pathname === "/replicas_status") return sendText(res, 200, "Ok.\n");
	if (url.pathname !== "/") {
		return sendText(res, 404, `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
	}

	// Long query params arrive as multipart/form-data fields; they behave like URL params.
	let data: Buffer | undefined = body;
	const contentType = req.headers["content-type"] ?? "";
	if (contentType.startsWith("multipart/form-data")) {
		for (const [k, v] of parseMultipart(body, contentType)) params.set(k, v);
		data = undefined;
	}

	// Like the real server: URL query text, then a newline, then the body (INSERT data).
	let query = params.get("query") ?? "";
	if (!query && data) {
		query = data.toString("utf8");
		data = undefined;
	}
	// GET / without a query is the server's static health answer, no credentials needed.
	if (!query.trim() && (req.method === "GET" || req.method === "HEAD")) return sendText(res, 200, "Ok.\n");

	const user = authenticate(req, params);
	if (user.name !== opts.user || user.password !== opts.password) {
		const msg = `Code: 516. DB::Exception: ${user.name}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`;
		return sendError(res, engine, queryId, new EngineError(516, "AUTHENTICATION_FAILED", msg));
	}
	if (!query.trim()) {
		const msg = "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)";
		return sendError(res, engine, queryId, new EngineError(62, "SYNTAX_ERROR", msg));
	}

	const settings: Record<string, string> = {};
	const queryParams: Record<string, string> = {};
	for (const [k, v] of params) {
		if (k.startsWith("param_")) queryParams[k.slice("param_".length)] = v;
		else if (!RESERVED.has(k)) settings[k] = v;
	}
	const defaultFormat = params.get("default_format") || headerValue(req, "x-clickhouse-format") || "TabSeparated";
	const database = params.get("database") || headerValue(req, "x-clickhouse-database") || "default";
	const format = outputFormat(query, defaultFormat);

	let result: EngineResult;
	try {
		result = await engine.execute({
			query,
			data: data && data.length > 0 ? data : undefined,
			database,
			settings,
			params: queryParams,
			defaultFormat,
		});
	} catch (err) {
		return sendError(res, engine, queryId, toEngineError(err));
	}

	const delay = opts.faults?.insertResponseDelayMs ?? 0;
	if (delay > 0 && /^\s*INSERT\b/i.test(query)) await new Promise((r) => setTimeout(r, delay));

	const summary = {
		read_rows: String(result.readRows),
		read_bytes: String(result.readBytes),
		written_rows: String(result.writtenRows),
		written_bytes: String(result.writtenBytes),
		total_rows_to_read: String(result.readRows),
		result_rows: String(resultRows(format, result.body)),
		result_bytes: String(result.body.byteLength),
		elapsed_ns: String(Math.round(result.elapsedNs)),
	};
	res.writeHead(200, {
		...commonHeaders(engine, queryId, format),
		"Content-Type": contentTypeFor(format),
		"Content-Length": String(result.body.byteLength),
		"X-ClickHouse-Summary": JSON.stringify(summary),
	});
	res.end(req.method === "HEAD" ? undefined : result.body);
}

function commonHeaders(engine: Engine, queryId: string, format: string): Record<string, string> {
	return {
		"X-ClickHouse-Query-Id": queryId,
		"X-ClickHouse-Format": format,
		"X-ClickHouse-Timezone": engine.timezone,
		"X-ClickHouse-Server-Display-Name": "chdb-local",
	};
}

function sendText(res: ServerResponse, status: number, text: string): void {
	res.writeHead(status, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": Buffer.byteLength(text) });
	res.end(text);
}

/** Error response exactly as the client parses it: status, exception-code header, `Code: N. ... (TYPE) (version V)`. */
function sendError(res: ServerResponse, engine: Engine, queryId: string, err: EngineError): void {
	const text = /\(version [^)]*\)\s*$/.test(err.message) ? err.message : `${err.message} (version ${engine.version})`;
	const body = `${text}\n`;
	res.writeHead(STATUS_BY_TYPE[err.type] ?? 500, {
		...commonHeaders(engine, queryId, "TabSeparated"),
		"Content-Type": "text/plain; charset=UTF-8",
		"Content-Length": Buffer.byteLength(body),
		"X-ClickHouse-Exception-Code": String(err.code),
	});
	res.end(body);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
	const v = req.headers[name];
	return Array.isArray(v) ? v[0] : v;
}

/** Credentials from Basic auth, X-ClickHouse-User/Key headers, or user/password params; none means `default` with no password. */
function authenticate(req: IncomingMessage, params: Map<string, string>): { name: string; password: string } {
	const auth = headerValue(req, "authorization");
	if (auth?.startsWith("Basic ")) {
		const decoded = Buffer.from(auth.slice("Basic ".length), "base64").toString("utf8");
		const colon = decoded.indexOf(":");
		return colon < 0
			? { name: decoded, password: "" }
			: { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
	}
	const headerUser = headerValue(req, "x-clickhouse-user");
	if (headerUser !== undefined) return { name: headerUser, password: headerValue(req, "x-clickhouse-key") ?? "" };
	return { name: params.get("user") ?? "default", password: params.get("password") ?? "" };
}

/** Name/value fields of a multipart/form-data body (file parts included as plain text). */
function parseMultipart(body: Buffer, contentType: string): Array<[string, string]> {
	const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
	if (!m) return [];
	const delimiter = `--${m[1] ?? m[2]}`;
	const fields: Array<[string, string]> = [];
	for (const part of body.toString("utf8").split(delimiter)) {
		const headerEnd = part.indexOf("\r\n\r\n");
		if (headerEnd < 0) continue;
		const name = /name="([^"]*)"/i.exec(part.slice(0, headerEnd))?.[1];
		if (name === undefined) continue;
		fields.push([name, part.slice(headerEnd + 4).replace(/\r\n$/, "")]);
	}
	return fields;
}

/** The format the response body is in: the query's trailing FORMAT clause, else the default. */
function outputFormat(query: string, fallback: string): string {
	if (/^\s*INSERT\b/i.test(query)) return fallback; // there FORMAT names the input
	return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(query)?.[1] ?? fallback;
}

function contentTypeFor(format: string): string {
	if (/^JSON.*EachRow/i.test(format)) return "application/x-ndjson; charset=UTF-8";
	if (/^JSON/i.test(format)) return "application/json; charset=UTF-8";
	if (/^(TabSeparated|TSV)/i.test(format)) return "text/tab-separated-values; charset=UTF-8";
	if (/^CSV/i.test(format))
		return `text/csv; charset=UTF-8; header=${/WithNames/i.test(format) ? "present" : "absent"}`;
	if (/^(Parquet|Arrow|ArrowStream|ORC|Native|RowBinary.*|Avro|Protobuf.*|MsgPack)$/i.test(format)) {
		return "application/octet-stream";
	}
	return "text/plain; charset=UTF-8";
}

/** Result rows for formats with one row per line (minus header lines); 0 where that cannot be told cheaply. */
function resultRows(format: string, body: Uint8Array): number {
	if (!/EachRow|^TabSeparated|^TSV|^CSV/i.test(format)) return 0;
	let lines = 0;
	for (const b of body) if (b === 10) lines++;
	const headers = /WithNamesAndTypes/i.test(format) ? 2 : /WithNames/i.test(format) ? 1 : 0;
	return Math.max(0, lines - headers);
}
