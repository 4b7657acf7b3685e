/**
 * A local stand-in for Upstash's Redis REST API in front of a stock redis-server, faithful to what
 * `@upstash/redis` 1.x and `@upstash/ratelimit` 2.x send and parse (see docs/reference/protocols.md §B).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { closeServer, createServer, listen, readBody } from "./net.ts";

// ---------- RESP2 over node:net (small on purpose: no client library dependency) ----------

export class RedisReplyError extends Error {}
export type Reply = Buffer | string | number | null | RedisReplyError | Reply[];

function encodeCommand(args: string[]): Buffer {
	const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
	for (const arg of args) {
		const bytes = Buffer.from(arg, "utf8");
		parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
	}
	return Buffer.concat(parts);
}

/** Parses one reply at `pos`; undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): [Reply, number] | undefined {
	const eol = buf.indexOf("\r\n", pos);
	if (eol < 0) return undefined;
	const line = buf.toString("utf8", pos + 1, eol);
	const next = eol + 2;
	switch (buf[pos]) {
		case 0x2b: // +
			return [line, next];
		case 0x2d: // -
			return [new RedisReplyError(line), next];
		case 0x3a: // :
			return [Number(line), next];
		case 0x24: {
			// $
			const len = Number(line);
			if (len < 0) return [null, next];
			if (buf.length < next + len + 2) return undefined;
			return [Buffer.from(buf.subarray(next, next + len)), next + len + 2];
		}
		case 0x2a: {
			// *
			const count = Number(line);
			if (count < 0) return [null, next];
			const items: Reply[] = [];
			let at = next;
			for (let i = 0; i < count; i++) {
				const parsed = parseReply(buf, at);
				if (!parsed) return undefined;
				items.push(parsed[0]);
				at = parsed[1];
			}
			return [items, at];
		}
		default:
			throw new Error(`RESP protocol error near: ${JSON.stringify(line.slice(0, 40))}`);
	}
}

interface Waiter {
	resolve(reply: Reply): void;
	reject(err: Error): void;
}

/** One TCP connection to redis-server; replies arrive in command order, so waiters are a FIFO. */
export class RedisConnection {
	closed = false;
	private socket: Socket;
	private buffer: Buffer = Buffer.alloc(0);
	private waiters: Waiter[] = [];

	private constructor(socket: Socket) {
		this.socket = socket;
		socket.on("data", (chunk: Buffer) => this.onData(chunk));
		socket.on("error", () => {}); // 'close' follows and fails the waiters
		socket.on("close", () => this.fail(new Error("connection to redis-server closed")));
	}

	static open(port: number, timeoutMs = 2000): Promise<RedisConnection> {
		return new Promise((resolve, reject) => {
			const socket = connect({ port, host: "127.0.0.1", noDelay: true });
			socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connect to redis-server :${port} timed out`)));
			socket.once("error", reject);
			socket.once("connect", () => {
				socket.setTimeout(0);
				socket.off("error", reject);
				resolve(new RedisConnection(socket));
			});
		});
	}

	/** Writes all commands in one go (nothing can interleave) and resolves with their replies. */
	send(commands: string[][]): Promise<Reply[]> {
		if (this.closed) return Promise.reject(new Error("connection to redis-server closed"));
		const replies = commands.map(() => new Promise<Reply>((resolve, reject) => this.waiters.push({ resolve, reject })));
		this.socket.write(Buffer.concat(commands.map(encodeCommand)));
		return Promise.all(replies);
	}

	close(): void {
		this.socket.destroy();
		this.fail(new Error("connection to redis-server closed"));
	}

	private onData(chunk: Buffer): void {
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
		let pos = 0;
		try {
			for (;;) {
				const parsed = parseReply(this.buffer, pos);
				if (!parsed) break;
				pos = parsed[1];
				this.waiters.shift()?.resolve(parsed[0]);
			}
		} catch (err) {
			this.socket.destroy();
			this.fail(err as Error);
			return;
		}
		this.buffer = this.buffer.subarray(pos);
	}

	private fail(err: Error): void {
		this.closed = true;
		for (const w of this.waiters.splice(0)) w.reject(err);
	}
}

/** Hands each request a connection of its own, so a transaction or a slow command never mixes with others. */
class Pool {
	private idle: RedisConnection[] = [];
	private port: number;
	private shut = false;

	constructor(port: number) {
		this.port = port;
	}

	async run(commands: string[][]): Promise<Reply[]> {
		let conn = this.idle.pop();
		while (conn?.closed) conn = this.idle.pop();
		conn ??= await RedisConnection.open(this.port);
		try {
			const replies = await conn.send(commands);
			if (this.shut || this.idle.length >= 8) conn.close();
			else this.idle.push(conn);
			return replies;
		} catch (err) {
			conn.close();
			throw err;
		}
	}

	close(): void {
		this.shut = true;
		for (const conn of this.idle.splice(0)) conn.close();
	}
}

// ---------- Upstash specifics ----------

const sha1 = (s: string): string => createHash("sha1").update(s, "utf8").digest("hex");

/** `allow-key-locking` is an Upstash-only shebang flag; stock Redis 7 rejects the script (trap 1). */
function stripUpstashFlags(script: string): string {
	const m = /^#!lua([^\n]*)/.exec(script);
	if (!m?.[1]?.includes("allow-key-locking")) return script;
	const rest = m[1].replace(/flags=(\S*)/, (_all, list: string) => {
		const kept = list.split(",").filter((f) => f && f !== "allow-key-locking");
		return kept.length ? `flags=${kept.join(",")}` : "";
	});
	return `#!lua${rest.trimEnd()}${script.slice(m[0].length)}`;
}

/** Rewrites scripts before Redis sees them and maps the client's SHA1 (of the original) to the rewritten one. */
class ScriptRewriter {
	private shaMap = new Map<string, string>();

	rewrite(args: string[]): string[] {
		const name = args[0]?.toUpperCase();
		const at =
			name === "EVAL" || name === "EVAL_RO" ? 1 : name === "SCRIPT" && args[1]?.toUpperCase() === "LOAD" ? 2 : -1;
		const script = args[at];
		if (script !== undefined) {
			const fixed = stripUpstashFlags(script);
			if (fixed === script) return args;
			this.shaMap.set(sha1(script), sha1(fixed));
			return args.with(at, fixed);
		}
		if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[1]) {
			// Unknown SHAs pass through: Redis answers NOSCRIPT and the client falls back to EVAL.
			const mapped = this.shaMap.get(args[1].toLowerCase());
			if (mapped) return args.with(1, mapped);
		}
		return args;
	}
}

// Commands that would leave a pooled connection in a different state (or protocol) for the next request.
const UNSUPPORTED = new Set([
	"SUBSCRIBE",
	"PSUBSCRIBE",
	"SSUBSCRIBE",
	"MONITOR",
	"HELLO",
	"SELECT",
	"MULTI",
	"EXEC",
	"DISCARD",
	"WATCH",
	"UNWATCH",
	"QUIT",
	"RESET",
	"SYNC",
	"PSYNC",
]);

class BadRequest extends Error {}

/** JSON arguments keep their types on the wire: Redis wants them all as strings. */
function toCommand(value: unknown): string[] {
	if (!Array.isArray(value) || value.length === 0) throw new BadRequest("ERR command must be a non-empty JSON array");
	const args = value.map((v) =>
		typeof v === "string" ? v : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v),
	);
	const name = (args[0] as string).toUpperCase();
	if (UNSUPPORTED.has(name))
		throw new BadRequest(`ERR command '${name}' is not supported by the local Upstash adapter`);
	return args;
}

function toCommands(value: unknown): string[][] {
	if (!Array.isArray(value) || value.length === 0)
		throw new BadRequest("ERR body must be a non-empty JSON array of commands");
	return value.map(toCommand);
}

/** Upstash's JSON shape of a reply; with `Upstash-Encoding: base64` every string is base64 (numbers/null stay). */
function toJson(reply: Reply, base64: boolean): unknown {
	if (reply === null || typeof reply === "number") return reply;
	if (Array.isArray(reply)) return reply.map((r) => toJson(r, base64));
	if (reply instanceof RedisReplyError) return reply.message; // nested errors (e.g. inside a script's table)
	const bytes = typeof reply === "string" ? Buffer.from(reply, "utf8") : reply;
	return base64 ? bytes.toString("base64") : bytes.toString("utf8");
}

function element(reply: Reply, base64: boolean): { result: unknown } | { error: string } {
	return reply instanceof RedisReplyError ? { error: reply.message } : { result: toJson(reply, base64) };
}

export interface UpstashAdapter {
	url: string;
	close(): Promise<void>;
}

export async function startUpstashAdapter(opts: {
	port: number;
	token: string;
	redisPort: number;
}): Promise<UpstashAdapter> {
	const pool = new Pool(opts.redisPort);
	const scripts = new ScriptRewriter();
	let syncToken = 0;

	const run = (commands: string[][]): Promise<Reply[]> => pool.run(commands.map((c) => scripts.rewrite(c)));

	async function route(req: IncomingMessage, base64: boolean): Promise<[number, unknown]> {
		const { pathname } = new URL(req.url ?? "/", "http://local");
		const body = await readBody(req);
		const json = (): unknown => {
			try {
				return JSON.parse(body.toString("utf8"));
			} catch {
				throw new BadRequest("ERR failed to parse the request body as JSON");
			}
		};
		if (req.method === "POST" && pathname === "/pipeline") {
			const replies = await run(toCommands(json()));
			return [200, replies.map((r) => element(r, base64))];
		}
		if (req.method === "POST" && pathname === "/multi-exec") {
			const commands = toCommands(json());
			const replies = await run([["MULTI"], ...commands, ["EXEC"]]);
			const exec = replies.at(-1) ?? null;
			if (exec instanceof RedisReplyError) {
				// EXECABORT: name the command that failed to queue, as that is the useful part.
				const cause = replies.slice(1, -1).find((r) => r instanceof RedisReplyError);
				return [400, { error: cause ? `${exec.message} ${cause.message}` : exec.message }];
			}
			if (!Array.isArray(exec)) return [500, { error: "ERR transaction was not executed" }];
			return [200, exec.map((r) => element(r, base64))];
		}
		let command: string[];
		if (req.method === "POST" && pathname === "/") command = toCommand(json());
		else {
			// Upstash's path style: /set/key/value (a POST body becomes the last argument).
			const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
			if (req.method === "POST" && body.length > 0) parts.push(body.toString("utf8"));
			command = toCommand(parts);
		}
		const [reply] = await run([command]);
		if (reply instanceof RedisReplyError) return [400, { error: reply.message }];
		return [200, { result: toJson(reply ?? null, base64) }];
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		let status: number;
		let payload: unknown;
		if (req.headers.authorization !== `Bearer ${opts.token}`) {
			[status, payload] = [401, { error: "Unauthorized" }];
		} else {
			const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
			try {
				[status, payload] = await route(req, base64);
			} catch (err) {
				const message = (err as Error).message;
				// A down redis-server answers fast with 500 (as SRH does); the client never retries on status.
				[status, payload] =
					err instanceof BadRequest
						? [400, { error: message }]
						: [500, { error: `ERR redis-server unavailable: ${message}` }];
			}
		}
		syncToken++;
		res.writeHead(status, { "content-type": "application/json", "upstash-sync-token": String(syncToken) });
		res.end(JSON.stringify(payload));
	}

	const server = createServer((req, res) => {
		handle(req, res).catch(() => res.destroy());
	});
	await listen(server, opts.port);
	let closing: Promise<void> | undefined;
	return {
		url: `http://127.0.0.1:${opts.port}`,
		close() {
			closing ??= (async () => {
				pool.close();
				await closeServer(server);
			})();
			return closing;
		},
	};
}
