import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "@upstash/redis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateAll } from "../../dev/migrate.ts";
import { readPriceFile, SEED_FILE } from "../../dev/prices.ts";
import { freePorts, type Stack, startStack } from "../../dev/stack/stack.ts";
import { PRICES_CACHE_KEY } from "../../src/prices/lookup.ts";

// `npm run prices -- list | set | import` as a user runs it (the CLI in a process of its own), against a stack's
// real Postgres and Redis, and `npm run migrate` loading the seeded table. What the worker does with a change is
// test/worker/prices.test.ts's.

const run = promisify(execFile);
let dataDir: string;
let stack: Stack;

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "deeptracer-prices-"));
	stack = await startStack({ dataDir, persistent: false, ports: await freePorts(), redisToken: "prices-test" });
	await migrateAll(stack.env);
}, 180_000);

afterAll(async () => {
	await stack?.close();
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function prices(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	try {
		const { stdout, stderr } = await run(
			process.execPath,
			["--experimental-strip-types", "--no-warnings", "dev/prices-cli.ts", ...args],
			{ env: { ...process.env, ...stack.env } },
		);
		return { code: 0, stdout, stderr };
	} catch (err) {
		const e = err as { code: number; stdout: string; stderr: string };
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
}

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
	const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
	await db.connect();
	try {
		return (await db.query(query, params)).rows as T[];
	} finally {
		await db.end();
	}
}

const revision = async () =>
	(await sql<{ r: string }>("SELECT coalesce(max(revision), 0)::text AS r FROM price_revisions"))[0]?.r;
const redis = () =>
	new Redis({
		url: stack.env.UPSTASH_REDIS_REST_URL,
		token: stack.env.UPSTASH_REDIS_REST_TOKEN,
		enableTelemetry: false,
	});

describe("npm run prices", () => {
	it("migrate loads the seeded table once: every row, one revision; running it again changes nothing", async () => {
		const seeded = readPriceFile(SEED_FILE);
		expect(seeded.length).toBeGreaterThanOrEqual(25);
		const [count] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM model_prices");
		expect(count?.n).toBe(seeded.length);
		const before = await revision();
		await migrateAll(stack.env);
		expect(await revision()).toBe(before);
	});

	it("lists the prices in effect and the changes scheduled after them", async () => {
		const listed = await prices("list");
		expect(listed.code).toBe(0);
		expect(listed.stdout).toMatch(/'openai'\s*│\s*'gpt-4o'\s*│\s*2\.5\s*│\s*10\s*│\s*1\.25\s*│/);
		// Gemini 3.7 Flash: the introductory price, and its rise on 2027-01-01.
		expect(listed.stdout.match(/'gemini-3\.7-flash'/g)).toHaveLength(2);
		expect(listed.stdout).toMatch(/'2027-01-01'/);
		expect(listed.stdout).toMatch(/revision \d+/);
	});

	it("set starts a new price now, keeps the old row and the cache prices it does not give, drops Redis's copy", async () => {
		await redis().set(PRICES_CACHE_KEY, "{}");
		const before = Number(await revision());
		const set = await prices("set", "gpt-4o", "--input", "3", "--output", "12");
		expect(set.code, set.stderr).toBe(0);
		expect(set.stdout).toMatch(/openai\/gpt-4o from .*: input 3, output 12, cached input 1.25, cache write as input/);
		const after = Number(await revision());
		expect(after).toBeGreaterThan(before);
		const rows = await sql<{ input: number; cached: number | null }>(
			"SELECT input_usd::float8 AS input, cached_input_usd::float8 AS cached FROM model_prices WHERE family = 'gpt-4o' ORDER BY effective_from",
		);
		expect(rows).toEqual([
			{ input: 2.5, cached: 1.25 },
			{ input: 3, cached: 1.25 },
		]);
		expect(await redis().get(PRICES_CACHE_KEY)).toBeNull();
		// Re-running migrate never undoes it.
		await migrateAll(stack.env);
		expect(Number(await revision())).toBe(after);
		expect((await prices("list")).stdout).toMatch(/'gpt-4o'\s*│\s*3\s*│\s*12/);
	});

	it("set refuses what it cannot price: a missing --output, a negative price, a family of no known vendor", async () => {
		const before = await revision();
		expect((await prices("set", "gpt-4o", "--input", "3")).code).toBe(2);
		expect((await prices("set", "gpt-4o", "--input", "-1", "--output", "2")).code).toBe(2);
		const unknown = await prices("set", "my-model", "--input", "1", "--output", "2");
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toMatch(/give --provider/);
		expect(await revision()).toBe(before);
		// A host's own price of an open-weight model.
		const host = await prices(
			"set",
			"groq/llama-3.3-70b",
			"--input",
			"0.6",
			"--output",
			"0.8",
			"--cached-input",
			"none",
		);
		expect(host.code, host.stderr).toBe(0);
		expect(host.stdout).toMatch(/^groq\/llama-3\.3-70b from .*input 0.6, output 0.8, cached input as input/);
	});

	it("import writes a file as one revision; a bad row refuses the whole file", async () => {
		const dir = mkdtempSync(join(tmpdir(), "dt-prices-import-"));
		try {
			const good = join(dir, "good.json");
			const row = {
				provider: "openai",
				family: "gpt-9",
				input: 1,
				output: 2,
				cached_input: 0.1,
				cache_write: null,
				effective: "2026-12-01",
				source: "https://developers.openai.com/api/docs/pricing",
				seen: "2026-12-03",
			};
			writeFileSync(good, JSON.stringify([row, { ...row, family: "gpt-9-mini", input: 0.2, output: 0.4 }]));
			const bad = join(dir, "bad.json");
			writeFileSync(
				bad,
				JSON.stringify([
					{ ...row, family: "gpt-10" },
					{ ...row, family: "gpt-10-mini", output: -2 },
				]),
			);

			const before = Number(await revision());
			const refused = await prices("import", bad);
			expect(refused.code).toBe(2);
			expect(refused.stderr).toMatch(/row 1 \(gpt-10-mini\): output must be a number/);
			expect(await sql("SELECT 1 FROM model_prices WHERE family LIKE 'gpt-10%'")).toEqual([]);

			const imported = await prices("import", good);
			expect(imported.code, imported.stderr).toBe(0);
			expect(imported.stdout).toMatch(/^2 of 2 prices added or changed \(revision \d+\)/);
			const after = Number(await revision());
			expect(after).toBeGreaterThan(before);
			// The same file again: nothing changed, no revision.
			expect((await prices("import", good)).stdout).toMatch(/^0 of 2 prices added or changed/);
			expect(Number(await revision())).toBe(after);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
