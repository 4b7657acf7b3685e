// Conformance of the local ClickHouse (chdb + HTTP adapter), driven by the real @clickhouse/client-web.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClickHouseClient, ClickHouseError, createClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClickHouseService, startClickHouse } from "../../dev/stack/clickhouse.ts";
import { freePort } from "../../dev/stack/net.ts";

// UInt64 results (count() etc.) come back as JSON numbers: the engine is ClickHouse 26.x, where
// output_format_json_quote_64bit_integers defaults to 0 (servers before 25.8 quote them).
const PASSWORD = "s3cret";
let dataDir: string;
let port: number;
let svc: ClickHouseService;
let ch: ClickHouseClient;

function client(opts: { database?: string; password?: string } = {}): ClickHouseClient {
	return createClient({
		url: svc.url,
		username: svc.user,
		password: opts.password ?? svc.password,
		database: opts.database,
	});
}

/** The rejection of a promise, failing the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
	try {
		await p;
	} catch (err) {
		return err;
	}
	throw new Error("expected a rejection");
}

const basicAuth = (): string => `Basic ${btoa(`default:${PASSWORD}`)}`;

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "clickhouse-test-"));
	port = await freePort();
	svc = await startClickHouse({ dataDir, httpPort: port, password: PASSWORD });
	ch = client();
	await ch.command({ query: "CREATE DATABASE IF NOT EXISTS deeptracer" });
	await ch.command({
		query: `CREATE TABLE deeptracer.events (
			id String,
			ts DateTime64(3),
			level LowCardinality(String),
			attrs Map(String, String),
			payload String,
			n UInt32
		) ENGINE = MergeTree ORDER BY (ts, id)
		SETTINGS non_replicated_deduplication_window = 1000`,
	});
});

afterAll(async () => {
	await svc?.close();
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("@clickhouse/client-web against the adapter", () => {
	it("pings", async () => {
		expect(await ch.ping()).toEqual({ success: true });
	});

	it("inserts JSONEachRow with async-insert settings and reads exact values back", async () => {
		const rows = [
			{
				id: "e1",
				ts: "2024-05-01 12:34:56.789",
				level: "error",
				attrs: { route: "/api", "http.status": "500" },
				payload: JSON.stringify({ msg: "boom", nested: { ok: false } }),
				n: 7,
			},
			{ id: "e2", ts: "2024-05-01 12:34:57.001", level: "info", attrs: {}, payload: "{}", n: 4294967295 },
		];
		await ch.insert({
			table: "deeptracer.events",
			values: rows,
			format: "JSONEachRow",
			clickhouse_settings: { async_insert: 1, wait_for_async_insert: 1 },
		});
		const rs = await ch.query({
			query: "SELECT id, ts, level, attrs, payload, n FROM deeptracer.events WHERE id IN ('e1', 'e2') ORDER BY id",
			format: "JSONEachRow",
		});
		expect(await rs.json()).toEqual(rows);
	});

	it("binds query params: String with escapes, UInt32, Array, and a long one sent as multipart", async () => {
		const tricky = "it's\ta \\ back\nslash";
		const long = "x".repeat(6000); // beyond the client's URL budget, so it goes multipart
		const rs = await ch.query({
			query:
				"SELECT {s:String} AS s, {n:UInt32} + 1 AS n, {a:Array(String)} AS a, length({long:String}) AS len, {id:String} AS id",
			query_params: { s: tricky, n: 41, a: ["o'k", "b\\c", ""], long, id: "e1" },
			format: "JSONEachRow",
		});
		expect(await rs.json()).toEqual([{ s: tricky, n: 42, a: ["o'k", "b\\c", ""], len: 6000, id: "e1" }]);
	});

	it("does not leak params or settings into the next request", async () => {
		await ch.query({ query: "SELECT {p:UInt8}", query_params: { p: 1 } });
		const err = await rejection(ch.query({ query: "SELECT {p:UInt8}" }));
		expect(err).toBeInstanceOf(ClickHouseError);
		expect((err as ClickHouseError).type).toBe("UNKNOWN_QUERY_PARAMETER");

		const read = async (settings?: { max_block_size: string }): Promise<unknown> =>
			(
				await ch.query({
					query: "SELECT getSetting('max_block_size') AS v",
					format: "JSONEachRow",
					clickhouse_settings: settings,
				})
			).json();
		const before = await read();
		expect(await read({ max_block_size: "1234" })).toEqual([{ v: 1234 }]);
		expect(await read()).toEqual(before);
	});

	it("accepts HTTP-level settings the engine may not know", async () => {
		const rs = await ch.query({
			query: "SELECT 1 AS one",
			format: "JSONEachRow",
			query_id: "my-query-id",
			clickhouse_settings: {
				enable_http_compression: 0,
				send_progress_in_http_headers: 0,
				http_headers_progress_interval_ms: "100",
				wait_end_of_query: 1,
				async_insert_deduplicate: 1,
				insert_deduplication_token: "unused",
			},
		});
		expect(rs.query_id).toBe("my-query-id");
		expect(await rs.json()).toEqual([{ one: 1 }]);
	});

	it("uses the database from the client config", async () => {
		const dt = client({ database: "deeptracer" });
		const rs = await dt.query({
			query: "SELECT currentDatabase() AS db, count() > 0 AS has FROM events",
			format: "JSONEachRow",
		});
		expect(await rs.json()).toEqual([{ db: "deeptracer", has: 1 }]);
		// ...and the next request without a database is back in `default`.
		const def = await ch.query({ query: "SELECT currentDatabase() AS db", format: "JSONEachRow" });
		expect(await def.json()).toEqual([{ db: "default" }]);
		await dt.close();
	});

	it("surfaces an unknown table as ClickHouseError 60 UNKNOWN_TABLE", async () => {
		const err = await rejection(ch.query({ query: "SELECT * FROM deeptracer.nope" }));
		expect(err).toBeInstanceOf(ClickHouseError);
		expect((err as ClickHouseError).code).toBe("60");
		expect((err as ClickHouseError).type).toBe("UNKNOWN_TABLE");
	});

	it("surfaces an unknown database as 81 and an insert into a missing table as 60", async () => {
		const db = await rejection(ch.query({ query: "SELECT * FROM nodb.t" }));
		expect((db as ClickHouseError).code).toBe("81");
		const ins = await rejection(ch.insert({ table: "deeptracer.missing", values: [{ a: 1 }], format: "JSONEachRow" }));
		expect((ins as ClickHouseError).code).toBe("60");
	});

	it("surfaces a syntax error as code 62", async () => {
		const err = await rejection(ch.command({ query: "SELEC 1" }));
		expect(err).toBeInstanceOf(ClickHouseError);
		expect((err as ClickHouseError).code).toBe("62");
		expect((err as ClickHouseError).type).toBe("SYNTAX_ERROR");
	});

	it("lands every row of 200 concurrent inserts", async () => {
		await ch.command({
			query: "CREATE TABLE deeptracer.burst (i UInt32, at DateTime64(3)) ENGINE = MergeTree ORDER BY i",
		});
		await Promise.all(
			Array.from({ length: 200 }, (_, i) =>
				ch.insert({
					table: "deeptracer.burst",
					values: [{ i, at: "2024-01-01 00:00:00.000" }],
					format: "JSONEachRow",
					clickhouse_settings: { async_insert: 1, wait_for_async_insert: 1 },
				}),
			),
		);
		const rs = await ch.query({
			query: "SELECT count() AS c, uniqExact(i) AS u FROM deeptracer.burst",
			format: "JSONEachRow",
		});
		expect(await rs.json()).toEqual([{ c: 200, u: 200 }]);
	});

	it("deduplicates a repeated insert_deduplication_token (non_replicated_deduplication_window)", async () => {
		const insert = (token: string) =>
			ch.insert({
				table: "deeptracer.events",
				values: [{ id: "dup", ts: "2024-06-01 00:00:00.000", level: "warn", attrs: {}, payload: "", n: 1 }],
				format: "JSONEachRow",
				clickhouse_settings: {
					async_insert: 1,
					wait_for_async_insert: 1,
					async_insert_deduplicate: 1,
					insert_deduplication_token: token,
				},
			});
		await insert("batch-1");
		await insert("batch-1");
		const count = async () =>
			(
				await ch.query({ query: "SELECT count() AS c FROM deeptracer.events WHERE id = 'dup'", format: "JSONEachRow" })
			).json();
		expect(await count()).toEqual([{ c: 1 }]);
		await insert("batch-2");
		expect(await count()).toEqual([{ c: 2 }]);
	});

	it("takes a 5 MB JSONEachRow body", async () => {
		await ch.command({ query: "CREATE TABLE deeptracer.big (i UInt32, s String) ENGINE = MergeTree ORDER BY i" });
		const values = Array.from({ length: 25_000 }, (_, i) => ({ i, s: `${i}:${"y".repeat(200)}` }));
		await ch.insert({ table: "deeptracer.big", values, format: "JSONEachRow" });
		const rs = await ch.query({
			query: "SELECT count() AS c, sum(length(s)) > 5000000 AS big, max(i) AS m FROM deeptracer.big",
			format: "JSONEachRow",
		});
		expect(await rs.json()).toEqual([{ c: 25000, big: 1, m: 24999 }]);
	});

	it("rejects a wrong password with 516 AUTHENTICATION_FAILED", async () => {
		const bad = client({ password: "wrong" });
		const err = await rejection(bad.query({ query: "SELECT 1" }));
		expect(err).toBeInstanceOf(ClickHouseError);
		expect((err as ClickHouseError).code).toBe("516");
		expect((err as ClickHouseError).type).toBe("AUTHENTICATION_FAILED");
		expect((await bad.ping()).success).toBe(false);
		await bad.close();
	});

	it("becomes unreachable on stop() and comes back on start()", async () => {
		await svc.stop();
		expect((await ch.ping()).success).toBe(false);
		await expect(ch.query({ query: "SELECT 1" })).rejects.toThrow();
		await svc.start();
		expect(await ch.ping()).toEqual({ success: true });
		const rs = await ch.query({ query: "SELECT count() > 0 AS ok FROM deeptracer.events", format: "JSONEachRow" });
		expect(await rs.json()).toEqual([{ ok: 1 }]);
	});
});

describe("raw HTTP", () => {
	it("answers GET /ping and GET / with Ok.", async () => {
		const ping = await fetch(`${svc.url}/ping`);
		expect(ping.status).toBe(200);
		expect(await ping.text()).toBe("Ok.\n");
		expect(await (await fetch(`${svc.url}/`)).text()).toBe("Ok.\n");
	});

	it("runs POST /?query=... with FORMAT and returns ClickHouse headers", async () => {
		const res = await fetch(
			`${svc.url}/?query=${encodeURIComponent("SELECT 1 AS x FORMAT JSONEachRow")}&query_id=q-1`,
			{
				method: "POST",
				headers: { Authorization: basicAuth() },
			},
		);
		expect(res.status).toBe(200);
		expect(await res.text()).toBe('{"x":1}\n');
		expect(res.headers.get("x-clickhouse-query-id")).toBe("q-1");
		expect(res.headers.get("x-clickhouse-format")).toBe("JSONEachRow");
		const summary = JSON.parse(res.headers.get("x-clickhouse-summary") ?? "null") as Record<string, unknown>;
		expect(summary.result_rows).toBe("1");
		expect(Object.values(summary).every((v) => typeof v === "string")).toBe(true);
	});

	it("defaults to TabSeparated and takes INSERT data in the body after a URL query", async () => {
		const auth = { "X-ClickHouse-User": "default", "X-ClickHouse-Key": PASSWORD };
		const ins = await fetch(
			`${svc.url}/?query=${encodeURIComponent("INSERT INTO deeptracer.burst (i, at) FORMAT CSV")}`,
			{
				method: "POST",
				headers: auth,
				body: "1000,2024-01-01 00:00:00.000\n1001,2024-01-01 00:00:00.000\n",
			},
		);
		expect(ins.status).toBe(200);
		expect(JSON.parse(ins.headers.get("x-clickhouse-summary") ?? "{}").written_rows).toBe("2");
		const sel = await fetch(`${svc.url}/?user=default&password=${PASSWORD}`, {
			method: "POST",
			body: "SELECT i, 'a\tb' FROM deeptracer.burst WHERE i >= 1000 ORDER BY i",
		});
		expect(await sel.text()).toBe("1000\ta\\tb\n1001\ta\\tb\n");
	});

	it("marks errors with X-ClickHouse-Exception-Code, the real status and body", async () => {
		const res = await fetch(`${svc.url}/?query=${encodeURIComponent("SELECT * FROM deeptracer.nope")}`, {
			method: "POST",
			headers: { Authorization: basicAuth() },
		});
		expect(res.status).toBe(404);
		expect(res.headers.get("x-clickhouse-exception-code")).toBe("60");
		expect(await res.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version [\d.]+\)\n$/s);

		const syntax = await fetch(`${svc.url}/`, {
			method: "POST",
			headers: { Authorization: basicAuth() },
			body: "SELEC 1",
		});
		expect(syntax.status).toBe(400);
		expect(syntax.headers.get("x-clickhouse-exception-code")).toBe("62");

		const auth = await fetch(`${svc.url}/?query=SELECT%201`, {
			headers: { Authorization: `Basic ${btoa("default:nope")}` },
		});
		expect(auth.status).toBe(403);
		expect(auth.headers.get("x-clickhouse-exception-code")).toBe("516");
	});
});

describe("lifecycle", () => {
	it("refuses a second data directory in the same process (one chdb engine per process)", async () => {
		const other = mkdtempSync(join(tmpdir(), "clickhouse-other-"));
		try {
			await expect(startClickHouse({ dataDir: other, httpPort: await freePort() })).rejects.toThrow(
				/one data directory/,
			);
		} finally {
			rmSync(other, { recursive: true, force: true });
		}
	});

	it("keeps data across close() and a restart on the same directory", async () => {
		await svc.close();
		await svc.close(); // idempotent
		svc = await startClickHouse({ dataDir, httpPort: port, password: PASSWORD });
		ch = client();
		const rs = await ch.query({
			query: "SELECT count() AS c FROM deeptracer.burst WHERE i < 1000",
			format: "JSONEachRow",
		});
		expect(await rs.json()).toEqual([{ c: 200 }]);
	});
});
