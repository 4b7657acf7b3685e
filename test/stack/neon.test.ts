// Conformance of the local Neon SQL-over-HTTP adapter, driven only by the real `neon()` client against a real Postgres.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NeonDbError, type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/stack/net.ts";
import { type PostgresService, startPostgres } from "../../dev/stack/postgres.ts";

let dir: string;
let service: PostgresService;
let sql: NeonQueryFunction<false, false>;

// Returns columns as the exact Postgres text the adapter sent (the client's parsers are bypassed).
const rawTypes = { getTypeParser: () => (value: string) => value };

beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), "neon-test-"));
	service = await startPostgres({
		dataDir: join(dir, "pg"),
		pgPort: await freePort(),
		httpPort: await freePort(),
		persistent: false,
	});
	// neon() never posts to the connection string's host (protocols trap 3): point it at the adapter.
	neonConfig.fetchEndpoint = service.neonHttpEndpoint;
	sql = neon(service.databaseUrl);
	await sql`CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL CONSTRAINT items_name_key UNIQUE, tags text[], meta jsonb)`;
});

afterAll(async () => {
	await service?.close();
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe("neon() over the local adapter", () => {
	it("parses every common type from text output", async () => {
		const [row] = await sql`SELECT
			42::int AS i, 9007199254740993::bigint AS big, 12.340::numeric AS num,
			true AS yes, false AS no, 'héllo'::text AS txt,
			'2024-01-01T00:00:00Z'::timestamptz AS ts, '{"a":{"b":[1,null]}}'::jsonb AS doc,
			ARRAY['a', 'b c', NULL, '{x}']::text[] AS arr, NULL::text AS nothing`;
		expect(row).toEqual({
			i: 42,
			big: "9007199254740993",
			num: "12.340",
			yes: true,
			no: false,
			txt: "héllo",
			ts: new Date(Date.UTC(2024, 0, 1)),
			doc: { a: { b: [1, null] } },
			arr: ["a", "b c", null, "{x}"],
			nothing: null,
		});
		expect(row?.ts).toBeInstanceOf(Date);
	});

	it("sends rows as raw Postgres text", async () => {
		const rows = await sql.query(
			"SELECT true AS t, false AS f, '2024-01-01 00:00:00Z'::timestamptz AS ts, ARRAY['a', 'b c'] AS arr, 1.50::numeric AS n, '{\"k\": 1}'::jsonb AS j",
			[],
			{ types: rawTypes },
		);
		expect(rows).toEqual([
			{ t: "t", f: "f", ts: "2024-01-01 00:00:00+00", arr: '{a,"b c"}', n: "1.50", j: '{"k": 1}' },
		]);
	});

	it("binds parameters: numbers, arrays, objects, Dates, booleans, null", async () => {
		const when = new Date(Date.UTC(2023, 5, 7, 8, 9, 10, 123));
		const rows = await sql.query(
			"SELECT $1::int + 1 AS n, $2::text[] AS arr, $3::jsonb AS obj, $4::timestamptz AS ts, $5::bool AS b, $6::text AS nul",
			[41, ["a", "b,c", 'q"uote', null], { k: [1, 2], s: "x" }, when, false, null],
		);
		expect(rows).toEqual([
			{ n: 42, arr: ["a", "b,c", 'q"uote', null], obj: { k: [1, 2], s: "x" }, ts: when, b: false, nul: null },
		]);
	});

	it("binds tagged-template values as parameters, never as SQL", async () => {
		const evil = "'; DROP TABLE items; --";
		const rows = await sql`SELECT ${evil}::text AS v, ${[1, 2, 3]}::int[] AS ints`;
		expect(rows).toEqual([{ v: evil, ints: [1, 2, 3] }]);
		const [{ n }] = (await sql`SELECT count(*)::int AS n FROM items`) as [{ n: number }];
		expect(typeof n).toBe("number");
	});

	it("returns full results and array mode", async () => {
		const full = await sql.query(
			"INSERT INTO items (name, tags, meta) VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id, name, tags, meta",
			["full-1", ["x"], { v: 1 }, "full-2", [], null],
			{ fullResults: true },
		);
		expect(full.command).toBe("INSERT");
		expect(full.rowCount).toBe(2);
		expect(full.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
			["id", 23],
			["name", 25],
			["tags", 1009],
			["meta", 3802],
		]);
		expect(full.fields[0]?.tableID).toBeGreaterThan(0);
		expect(full.rows.map(({ id, ...rest }) => rest)).toEqual([
			{ name: "full-1", tags: ["x"], meta: { v: 1 } },
			{ name: "full-2", tags: [], meta: null },
		]);

		const arrays = await sql.query("SELECT name, tags FROM items WHERE name LIKE 'full-%' ORDER BY name", [], {
			arrayMode: true,
		});
		expect(arrays).toEqual([
			["full-1", ["x"]],
			["full-2", []],
		]);

		const update = await sql.query("UPDATE items SET meta = '{}' WHERE name LIKE 'full-%'", [], { fullResults: true });
		expect([update.command, update.rowCount, update.rows]).toEqual(["UPDATE", 2, []]);
	});

	it("surfaces a unique violation as NeonDbError 23505 with Postgres fields", async () => {
		await sql`INSERT INTO items (name) VALUES ('dupe')`;
		const err = await sql`INSERT INTO items (name) VALUES ('dupe')`.catch((e: unknown) => e);
		expect(err).toBeInstanceOf(NeonDbError);
		const dbErr = err as NeonDbError;
		expect(dbErr.code).toBe("23505");
		expect(dbErr.constraint).toBe("items_name_key");
		expect(dbErr.table).toBe("items");
		expect(dbErr.severity).toBe("ERROR");
		expect(dbErr.detail).toBe("Key (name)=(dupe) already exists.");
		expect(dbErr.message).toMatch(/duplicate key value violates unique constraint/);
	});

	it("surfaces a syntax error as 42601 with its position", async () => {
		const err = (await sql.query("SELEC 1").catch((e: unknown) => e)) as NeonDbError;
		expect(err).toBeInstanceOf(NeonDbError);
		expect(err.code).toBe("42601");
		expect(err.position).toBe("1");
		expect(err.message).toMatch(/syntax error at or near "SELEC"/);
	});

	it("rejects several statements in one query, as Neon's extended protocol does", async () => {
		const err = (await sql.query("SELECT 1; SELECT 2").catch((e: unknown) => e)) as NeonDbError;
		expect(err).toBeInstanceOf(NeonDbError);
		expect(err.code).toBe("42601");
	});

	it("runs a transaction and returns every result", async () => {
		const results = await sql.transaction([
			sql`INSERT INTO items (name) VALUES ('tx-1') RETURNING name`,
			sql`INSERT INTO items (name) VALUES ('tx-2') RETURNING name`,
			sql`SELECT count(*)::int AS n FROM items WHERE name LIKE 'tx-%'`,
		]);
		expect(results).toEqual([[{ name: "tx-1" }], [{ name: "tx-2" }], [{ n: 2 }]]);

		const full = await sql.transaction((tx) => [tx`SELECT 1 AS one`, tx`SELECT 'two' AS two`], { fullResults: true });
		expect(full.map((r) => [r.command, r.rows])).toEqual([
			["SELECT", [{ one: 1 }]],
			["SELECT", [{ two: "two" }]],
		]);
	});

	it("rolls a failing transaction back entirely", async () => {
		await sql`INSERT INTO items (name) VALUES ('rollback-existing')`;
		const err = (await sql
			.transaction([
				sql`INSERT INTO items (name) VALUES ('rollback-new')`,
				sql`INSERT INTO items (name) VALUES ('rollback-existing')`,
			])
			.catch((e: unknown) => e)) as NeonDbError;
		expect(err).toBeInstanceOf(NeonDbError);
		expect(err.code).toBe("23505");
		expect(await sql`SELECT name FROM items WHERE name = 'rollback-new'`).toEqual([]);
	});

	it("applies isolation level, read-only and deferrable", async () => {
		const show = () => [
			sql`SELECT current_setting('transaction_isolation') AS v`,
			sql`SELECT current_setting('transaction_read_only') AS v`,
			sql`SELECT current_setting('transaction_deferrable') AS v`,
		];
		const strict = await sql.transaction(show(), { isolationLevel: "Serializable", readOnly: true, deferrable: true });
		expect(strict).toEqual([[{ v: "serializable" }], [{ v: "on" }], [{ v: "on" }]]);

		const repeatable = await sql.transaction(show(), { isolationLevel: "RepeatableRead" });
		expect(repeatable).toEqual([[{ v: "repeatable read" }], [{ v: "off" }], [{ v: "off" }]]);

		const defaults = await sql.transaction(show());
		expect(defaults).toEqual([[{ v: "read committed" }], [{ v: "off" }], [{ v: "off" }]]);

		const err = (await sql
			.transaction([sql`INSERT INTO items (name) VALUES ('read-only')`], { readOnly: true })
			.catch((e: unknown) => e)) as NeonDbError;
		expect(err).toBeInstanceOf(NeonDbError);
		expect(err.code).toBe("25006");
	});

	it("fails fast while the engine is stopped and recovers after start()", async () => {
		await sql`INSERT INTO items (name) VALUES ('survives-restart')`;
		await service.stop();
		try {
			const began = Date.now();
			const err = await sql`SELECT 1`.catch((e: unknown) => e);
			expect(Date.now() - began).toBeLessThan(5_000);
			expect(err).toBeInstanceOf(NeonDbError);
			expect((err as Error).message).toMatch(/HTTP status 500.*connect/);
		} finally {
			await service.start();
		}
		expect(await sql`SELECT name FROM items WHERE name = 'survives-restart'`).toEqual([{ name: "survives-restart" }]);
	});
});
