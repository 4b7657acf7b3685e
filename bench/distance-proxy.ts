/**
 * A loopback proxy in front of one store's HTTP endpoint that stands for distance: it holds every request
 * `delayMs` before forwarding it (one hold per round trip) and stamps each request's arrival on the bench's
 * clock (performance.now()), so the bench can count the store requests that arrived while a request of its own
 * was open. For the Upstash REST endpoint it also counts Redis commands (a /pipeline or /multi-exec body is an
 * array of commands).
 */
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { closeServer, createServer, listen, readBody } from "../dev/stack/net.ts";

export type StoreName = "upstash" | "neon" | "clickhouse";

export interface Arrival {
	store: StoreName;
	at: number;
	/** Redis commands in the request (Upstash), SQL statements (Neon), 0 for ClickHouse. */
	commands: number;
	/** The first command's name (Upstash), the statement's verb (Neon), the query's start (ClickHouse), for reports. */
	what: string;
	/** Bytes of the request body. */
	bytes: number;
}

export interface DistanceProxy {
	store: StoreName;
	url: string;
	delayMs: number;
	readonly arrivals: Arrival[];
	readonly inFlight: number;
	readonly lastActivity: number;
	close(): Promise<void>;
}

/** Commands in an Upstash REST request: `/pipeline` and `/multi-exec` carry an array of commands, `/` one. */
export function upstashCommands(path: string, body: Buffer): { commands: number; what: string } {
	let parsed: unknown;
	try {
		parsed = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
	} catch {
		parsed = undefined;
	}
	const route = path.split("?")[0] ?? "/";
	if ((route === "/pipeline" || route === "/multi-exec") && Array.isArray(parsed)) {
		const names = parsed.map((c) => (Array.isArray(c) ? String(c[0]).toLowerCase() : "?"));
		return { commands: parsed.length, what: `${route.slice(1)}[${names.join(",")}]` };
	}
	if (Array.isArray(parsed)) return { commands: 1, what: String(parsed[0]).toLowerCase() };
	// Path form: /get/key, /set/key/value.
	const name = route.split("/")[1] ?? "";
	return { commands: name ? 1 : 0, what: name || route };
}

/** Statements in a Neon HTTP request: `{query, params}` is one, `{queries: [...]}` (a transaction) one each. */
export function neonStatements(body: Buffer): { commands: number; what: string } {
	let parsed: { query?: unknown; queries?: { query?: unknown }[] } | undefined;
	try {
		parsed = JSON.parse(body.toString("utf8"));
	} catch {
		return { commands: 0, what: "?" };
	}
	const verb = (q: unknown) => (typeof q === "string" ? (q.trim().split(/\s+/)[0] ?? "").toLowerCase() : "?");
	if (Array.isArray(parsed?.queries))
		return {
			commands: parsed.queries.length,
			what: `transaction[${parsed.queries.map((q) => verb(q.query)).join(",")}]`,
		};
	return { commands: 1, what: verb(parsed?.query) };
}

/** A ClickHouse HTTP request's query, its first words ("INSERT INTO logs"), from the URL or else the body. */
function clickhouseWhat(url: string): string {
	const query = new URL(url, "http://x").searchParams.get("query");
	return query ? query.trim().split(/\s+/).slice(0, 3).join(" ") : (url.split("?")[0] ?? url);
}

/** Starts a proxy for `target` (http://host:port[/path]) on a free loopback port; `delayMs` may change any time. */
export async function startDistanceProxy(store: StoreName, target: string, delayMs = 0): Promise<DistanceProxy> {
	const to = new URL(target);
	const agent = new Agent({ keepAlive: true, maxSockets: 64 });
	const arrivals: Arrival[] = [];
	let inFlight = 0;
	let lastActivity = performance.now();

	const server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const at = performance.now();
		inFlight++;
		lastActivity = at;
		const done = () => {
			inFlight--;
			lastActivity = performance.now();
		};
		readBody(req)
			.then(async (body) => {
				const url = req.url ?? "/";
				const counted =
					store === "upstash"
						? upstashCommands(url, body)
						: store === "neon"
							? neonStatements(body)
							: { commands: 0, what: clickhouseWhat(url) };
				arrivals.push({ store, at, bytes: body.length, ...counted });
				if (proxy.delayMs > 0) await new Promise((r) => setTimeout(r, proxy.delayMs));
				const headers = { ...req.headers, host: to.host };
				const upstream = httpRequest(
					{ host: to.hostname, port: to.port, method: req.method, path: url, headers, agent },
					(up) => {
						res.writeHead(up.statusCode ?? 502, up.headers);
						up.pipe(res);
						up.on("end", done);
						up.on("error", () => {
							res.destroy();
							done();
						});
					},
				);
				upstream.on("error", (err) => {
					if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
					res.end(`distance proxy: ${err.message}`);
					done();
				});
				upstream.end(body);
			})
			.catch(() => {
				res.destroy();
				done();
			});
	});
	server.keepAliveTimeout = 60_000;
	await listen(server, 0);
	const addr = server.address();
	const port = addr && typeof addr === "object" ? addr.port : 0;
	const proxy: DistanceProxy = {
		store,
		url: `http://127.0.0.1:${port}`,
		delayMs,
		arrivals,
		get inFlight() {
			return inFlight;
		},
		get lastActivity() {
			return lastActivity;
		},
		async close() {
			await closeServer(server);
			agent.destroy();
		},
	};
	return proxy;
}
