import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import type pg from "pg";
import { PRICES_CACHE_KEY } from "../src/prices/lookup.ts";
import { ROOT } from "./local-env.ts";

/** The seeded table, shipped in the repo: `npm run migrate` loads what of it the database lacks. */
export const SEED_FILE = join(ROOT, "migrations/model_prices.json");

/** One price as files and the CLI give it (USD per 1M tokens), the seed's format. */
export interface PriceInput {
	provider: string;
	family: string;
	input: number;
	output: number;
	cached_input: number | null;
	cache_write: number | null;
	/** ISO date or date-time: when the price starts to apply. */
	effective: string;
	/** The provider page the price was read from. */
	source: string;
	/** The date it was seen there. */
	seen: string | null;
	notes?: string;
}

// The database's CHECKs (migrations/postgres/0002_model_prices.sql), said here so a bad file is refused whole, naming
// the row, before anything is written.
const PROVIDER = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const FAMILY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const MAX_USD = 1e6;

/** The vendor of a family named after it, for `set` of a family the table does not have yet. */
const VENDOR_OF: [RegExp, string][] = [
	[/^(?:gpt-|o\d|chatgpt-)/, "openai"],
	[/^claude-/, "anthropic"],
	[/^gemini-/, "google"],
	[/^grok-/, "xai"],
	[/^deepseek-/, "deepseek"],
	[/^(?:mistral|codestral|devstral|magistral|ministral|pixtral)-/, "mistral"],
];

function usd(v: unknown, what: string, optional: true): number | null;
function usd(v: unknown, what: string, optional?: false): number;
function usd(v: unknown, what: string, optional = false): number | null {
	if (optional && (v === null || v === undefined)) return null;
	if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_USD)
		throw new Error(`${what} must be a number of USD per 1M tokens, 0 to ${MAX_USD}${optional ? ", or null" : ""}`);
	return v;
}

/** A file's rows, checked; throws naming the first bad row. */
function parsePriceFile(json: unknown): PriceInput[] {
	if (!Array.isArray(json))
		throw new Error("a price file is a JSON array of prices (see migrations/model_prices.json)");
	return json.map((raw, i) => {
		const at = `row ${i}`;
		if (typeof raw !== "object" || raw === null) throw new Error(`${at}: not an object`);
		const r = raw as Record<string, unknown>;
		const provider = String(r.provider ?? "").toLowerCase();
		const family = String(r.family ?? "").toLowerCase();
		if (!PROVIDER.test(provider)) throw new Error(`${at}: provider ${JSON.stringify(r.provider)} is not a provider id`);
		if (!FAMILY.test(family)) throw new Error(`${at}: family ${JSON.stringify(r.family)} is not a model family id`);
		const effective = String(r.effective ?? "");
		if (!DATE.test(effective) || Number.isNaN(Date.parse(effective)))
			throw new Error(`${at} (${family}): effective must be an ISO date`);
		if (typeof r.source !== "string" || r.source.trim() === "")
			throw new Error(`${at} (${family}): source (the provider page) is required`);
		const seen = r.seen === undefined || r.seen === null ? null : String(r.seen);
		if (seen !== null && !/^\d{4}-\d{2}-\d{2}$/.test(seen)) throw new Error(`${at} (${family}): seen must be a date`);
		return {
			provider,
			family,
			input: usd(r.input, `${at} (${family}): input`),
			output: usd(r.output, `${at} (${family}): output`),
			cached_input: usd(r.cached_input, `${at} (${family}): cached_input`, true),
			cache_write: usd(r.cache_write, `${at} (${family}): cache_write`, true),
			effective,
			source: r.source,
			seen,
			notes: typeof r.notes === "string" ? r.notes : "",
		};
	});
}

export function readPriceFile(path: string): PriceInput[] {
	let json: unknown;
	try {
		json = JSON.parse(readFileSync(path, "utf8"));
	} catch (err) {
		throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
	}
	return parsePriceFile(json);
}

export interface Written {
	/** The table's revision after the change (unchanged when nothing changed). */
	revision: string;
	/** Rows added or changed. */
	changed: number;
}

/**
 * Writes prices as one revision of the table, in one transaction. `replace`: a row of the same provider, family
 * and start is overwritten (import, set); otherwise only missing rows are added (the seed, so that re-running
 * `npm run migrate` never undoes a price set since). Nothing changed: no revision.
 */
export async function writePrices(
	db: pg.ClientBase,
	prices: PriceInput[],
	change: string,
	opts: { replace: boolean },
): Promise<Written> {
	await db.query("BEGIN");
	try {
		const rev = await db.query<{ revision: string }>(
			"INSERT INTO price_revisions (change) VALUES ($1) RETURNING revision::text",
			[change],
		);
		const revision = rev.rows[0]?.revision as string;
		const conflict = opts.replace
			? `DO UPDATE SET input_usd = EXCLUDED.input_usd, output_usd = EXCLUDED.output_usd,
			     cached_input_usd = EXCLUDED.cached_input_usd, cache_write_usd = EXCLUDED.cache_write_usd,
			     source = EXCLUDED.source, seen = EXCLUDED.seen, notes = EXCLUDED.notes, revision = EXCLUDED.revision
			   WHERE (model_prices.input_usd, model_prices.output_usd, model_prices.cached_input_usd,
			          model_prices.cache_write_usd, model_prices.source, model_prices.seen, model_prices.notes)
			         IS DISTINCT FROM (EXCLUDED.input_usd, EXCLUDED.output_usd, EXCLUDED.cached_input_usd,
			          EXCLUDED.cache_write_usd, EXCLUDED.source, EXCLUDED.seen, EXCLUDED.notes)`
			: "DO NOTHING";
		let changed = 0;
		for (const p of prices) {
			const result = await db.query(
				`INSERT INTO model_prices (provider, family, effective_from, input_usd, output_usd, cached_input_usd,
				                           cache_write_usd, source, seen, notes, revision)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				 ON CONFLICT (provider, family, effective_from) ${conflict}`,
				[
					p.provider,
					p.family,
					// A date alone is midnight UTC, whatever the machine's zone.
					/^\d{4}-\d{2}-\d{2}$/.test(p.effective) ? `${p.effective}T00:00:00Z` : p.effective,
					p.input,
					p.output,
					p.cached_input,
					p.cache_write,
					p.source,
					p.seen,
					p.notes ?? "",
					revision,
				],
			);
			changed += result.rowCount ?? 0;
		}
		if (changed === 0) {
			await db.query("ROLLBACK");
			return { revision: await currentRevision(db), changed };
		}
		await db.query("COMMIT");
		return { revision, changed };
	} catch (err) {
		await db.query("ROLLBACK");
		throw err;
	}
}

export async function currentRevision(db: pg.ClientBase): Promise<string> {
	const r = await db.query<{ revision: string }>(
		"SELECT coalesce(max(revision), 0)::text AS revision FROM price_revisions",
	);
	return r.rows[0]?.revision ?? "0";
}

/** Loads the seeded table's missing rows (`npm run migrate`). */
export function seedPrices(db: pg.ClientBase): Promise<Written> {
	return writePrices(db, readPriceFile(SEED_FILE), "seed migrations/model_prices.json", { replace: false });
}

export interface PriceListing {
	provider: string;
	family: string;
	input: number;
	output: number;
	cached_input: number | null;
	cache_write: number | null;
	effective_from: Date;
	seen: string | null;
	source: string;
	notes: string;
	revision: string;
}

/** Each family's row in effect now and the ones scheduled after it, by provider and family. */
export async function listPrices(db: pg.ClientBase, at = new Date()): Promise<PriceListing[]> {
	const result = await db.query<PriceListing>(
		`SELECT p.provider, p.family, p.input_usd::float8 AS input, p.output_usd::float8 AS output,
		        p.cached_input_usd::float8 AS cached_input, p.cache_write_usd::float8 AS cache_write,
		        p.effective_from, to_char(p.seen, 'YYYY-MM-DD') AS seen, p.source, p.notes, p.revision::text
		   FROM model_prices p
		  WHERE p.effective_from >= coalesce(
		          (SELECT max(q.effective_from) FROM model_prices q
		            WHERE q.provider = p.provider AND q.family = p.family AND q.effective_from <= $1),
		          '-infinity')
		  ORDER BY p.provider, p.family, p.effective_from`,
		[at],
	);
	return result.rows;
}

export interface SetPrice {
	/** `family`, or `host/family` for a host's own price of an open-weight model (`groq/llama-3.3-70b`). */
	model: string;
	provider?: string;
	input: number;
	output: number;
	/** undefined: the current row's; null: none (billed as input). */
	cachedInput?: number | null;
	cacheWrite?: number | null;
	/** ISO date or date-time; now when not given. */
	effective?: string;
	source?: string;
}

/** Sets a family's price from a moment on (now by default): a new row, so the old price stays for the records it priced. */
export async function setPrice(db: pg.ClientBase, opts: SetPrice): Promise<{ row: PriceInput; written: Written }> {
	const id = opts.model.trim().toLowerCase();
	const slash = id.indexOf("/");
	const family = slash >= 0 ? id.slice(slash + 1) : id;
	const current = (await listPrices(db)).filter((r) => r.family === family && r.effective_from <= new Date());
	const provider =
		opts.provider?.toLowerCase() ??
		(slash >= 0 ? id.slice(0, slash) : undefined) ??
		current[current.length - 1]?.provider ??
		VENDOR_OF.find(([re]) => re.test(family))?.[1];
	if (!provider)
		throw new Error(`no provider known for ${family}: give --provider (the vendor, or the host that bills it)`);
	const was = current.filter((r) => r.provider === provider).at(-1);
	const [row] = parsePriceFile([
		{
			provider,
			family,
			input: opts.input,
			output: opts.output,
			cached_input: opts.cachedInput === undefined ? (was?.cached_input ?? null) : opts.cachedInput,
			cache_write: opts.cacheWrite === undefined ? (was?.cache_write ?? null) : opts.cacheWrite,
			effective: opts.effective ?? new Date().toISOString(),
			source: opts.source ?? was?.source ?? "npm run prices -- set (no page given)",
			seen: new Date().toISOString().slice(0, 10),
			notes: "set by npm run prices",
		},
	]);
	const p = row as PriceInput;
	const written = await writePrices(db, [p], `set ${provider}/${family}`, { replace: true });
	return { row: p, written };
}

/** Deletes Redis's copy of the table, so isolates read the change from Postgres at their next refresh. */
export async function evictCachedPrices(redis: { url?: string; token?: string }): Promise<boolean> {
	if (!redis.url || !redis.token) return false;
	const client = new Redis({ url: redis.url, token: redis.token, enableTelemetry: false });
	await client.del(PRICES_CACHE_KEY);
	return true;
}
