import { type Counting, costOf, type Usage } from "./cost.ts";
import type { PriceBook } from "./table.ts";

/** client: a non-zero cost the sender gave (never replaced); inferred: priced here; unknown: no price, cost 0. */
export type CostSource = "client" | "inferred" | "unknown";

/** The llm_usage columns pricing decides. */
export interface CostFields {
	cost_usd: number;
	cost_source: CostSource;
	/** The price table's revision that priced the row, or was consulted and had no price; "" when none was. */
	price_version: string;
}

/** What pricing reads of a row built by llmRow(). */
export interface LlmCostRow {
	model: string;
	provider: string;
	input_tokens: number;
	output_tokens: number;
	cost_usd: number;
}

/** Token counts a record gives beyond input and output; 0 when it does not say. */
export type TokenDetails = Pick<Usage, "cacheRead" | "cacheWrite" | "reasoning">;

export const NO_DETAILS: TokenDetails = { cacheRead: 0, cacheWrite: 0, reasoning: 0 };

/** A row waiting for the price table, with what it says of its tokens and how it counts them. */
export interface Unpriced<R extends LlmCostRow = LlmCostRow> {
	row: R;
	details: TokenDetails;
	counting: Counting;
}

/** True when the row has no cost of its own and tokens to price: only then is the price table consulted. */
export function needsPrice(row: LlmCostRow, details: TokenDetails): boolean {
	return (
		row.cost_usd === 0 &&
		row.input_tokens + row.output_tokens + details.cacheRead + details.cacheWrite + details.reasoning > 0
	);
}

/** Sets the cost columns of a row that needs no table: its own cost (client), or none to infer (unknown). */
export function unpriced<R extends LlmCostRow>(row: R): R & CostFields {
	return withCost(row, row.cost_usd, row.cost_usd > 0 ? "client" : "unknown", "");
}

/** Sets the three columns in place (plain assignments: this runs once per record). */
function withCost<R extends LlmCostRow>(row: R, cost: number, source: CostSource, version: string): R & CostFields {
	const r = row as R & CostFields;
	r.cost_usd = cost;
	r.cost_source = source;
	r.price_version = version;
	return r;
}

/** Sets the cost columns of a row that needsPrice(): priced from the book, or unknown when it has no price. */
export function priced<R extends LlmCostRow>(
	item: Unpriced<R>,
	book: PriceBook | undefined,
	at: number,
): R & CostFields {
	const { row, details } = item;
	const price = book?.priceOf(row.model, row.provider, at);
	const version = book?.version ?? "";
	if (!price) return withCost(row, 0, "unknown", version);
	const usage: Usage = {
		input: row.input_tokens,
		output: row.output_tokens,
		cacheRead: details.cacheRead,
		cacheWrite: details.cacheWrite,
		reasoning: details.reasoning,
	};
	return withCost(row, costOf(price, usage, item.counting), "inferred", version);
}

/** Reads a token count: a finite number ≥ 0 (or its decimal text, as OTLP sends int64), rounded; else 0. */
function tokenCount(v: unknown): number {
	const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
	return n >= 0 && n <= Number.MAX_SAFE_INTEGER ? Math.round(n) : 0;
}

/** The first of `names` that `get` has, as a token count. */
function first(get: (name: string) => unknown, names: readonly string[]): number {
	for (const name of names) {
		const v = get(name);
		if (v !== undefined) return tokenCount(v);
	}
	return 0;
}

/**
 * The fields read for cache and reasoning tokens (README: How cost is computed). On POST /ingest/llm: top-level
 * keys of `metadata`, as the provider's own usage names them (OpenAI's cached_tokens, Anthropic's
 * cache_read_input_tokens and cache_creation_input_tokens, reasoning_tokens). On GenAI spans: the GenAI
 * conventions' attributes and the aliases Sentry and OpenLLMetry emit.
 */
export const DETAIL_FIELDS = {
	metadata: {
		cacheRead: ["cache_read_input_tokens", "cached_input_tokens", "cached_tokens"],
		cacheWrite: ["cache_creation_input_tokens", "cache_write_tokens"],
		reasoning: ["reasoning_tokens"],
	},
	span: {
		cacheRead: [
			"gen_ai.usage.cache_read.input_tokens",
			"gen_ai.usage.cache_read_input_tokens",
			"gen_ai.usage.input_tokens.cached",
		],
		cacheWrite: [
			"gen_ai.usage.cache_creation.input_tokens",
			"gen_ai.usage.cache_creation_input_tokens",
			"gen_ai.usage.input_tokens.cache_write",
		],
		reasoning: ["gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.output_tokens.reasoning"],
	},
} as const;

/** The token details in a source of named values (a record's metadata, a span's attributes). */
export function tokenDetails(
	get: (name: string) => unknown,
	fields: (typeof DETAIL_FIELDS)[keyof typeof DETAIL_FIELDS],
) {
	const details: TokenDetails = {
		cacheRead: first(get, fields.cacheRead),
		cacheWrite: first(get, fields.cacheWrite),
		reasoning: first(get, fields.reasoning),
	};
	return details;
}

/** The token details in a POST /ingest/llm body's metadata (the parsed JSON object, or anything else: none). */
export function metadataDetails(metadata: unknown): TokenDetails {
	if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return NO_DETAILS;
	const m = metadata as Record<string, unknown>;
	const details = tokenDetails((name) => (Object.hasOwn(m, name) ? m[name] : undefined), DETAIL_FIELDS.metadata);
	// The usual record names none of them: share one object rather than keep a new one per row.
	return details.cacheRead + details.cacheWrite + details.reasoning === 0 ? NO_DETAILS : details;
}

/**
 * Prices the rows that need it: synchronously when none does or the table is at hand, else once it is read.
 * `prices` is asked only when a row needs it. False when rows needed a table and none could be read (they are
 * `unknown`, and the request's line says so).
 */
export function priceAll(
	items: readonly Unpriced[],
	prices: () => PriceBook | undefined | Promise<PriceBook | undefined>,
	at: number,
): boolean | Promise<boolean> {
	if (items.length === 0) return true;
	const apply = (book: PriceBook | undefined) => {
		for (const item of items) priced(item, book, at);
		return book !== undefined;
	};
	const book = prices();
	return book instanceof Promise ? book.then(apply) : apply(book);
}
