import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { needsPrice, priced, unpriced } from "../../src/prices/apply.ts";
import { type Counting, costOf, type Usage } from "../../src/prices/cost.ts";
import { familyOf } from "../../src/prices/normalise.ts";
import { PriceBook } from "../../src/prices/table.ts";
import { SEEDED_PRICES } from "../support/memory-services.ts";

// The price table's logic against the seeded table (migrations/model_prices.json): which row a raw model id is
// priced by, and what a record costs. Expected costs are written out, computed by hand from the rates in the
// comment (USD per 1M tokens: input/output, cached input, cache write), so a mistake shared by the code and a
// formula in the test cannot hide.

const book = new PriceBook({ version: "7", prices: SEEDED_PRICES });
const AT = Date.UTC(2026, 11, 3, 12);

/** "provider/family" of the row that prices the id, or null. */
const pricedBy = (model: string, provider: string, at = AT) => {
	const price = book.priceOf(model, provider, at);
	return price ? `${price.provider}/${price.family}` : null;
};

describe("model id → the row that prices it", () => {
	// The research's examples (normalisation.md §3): route prefixes, dates, aliases, Bedrock and Vertex spellings, and
	// the host deciding an open-weight model's price. The record's provider is the second column.
	it.each<[string, string, string]>([
		["gpt-4o", "openai", "openai/gpt-4o"],
		["openai/gpt-4o", "openai", "openai/gpt-4o"],
		["gpt-4o-2024-08-06", "openai", "openai/gpt-4o"],
		["gpt-4o-2024-11-20", "openai", "openai/gpt-4o"],
		["gpt-4o-2024-05-13", "openai", "openai/gpt-4o-2024-05-13"],
		["gpt-4o-mini", "openai", "openai/gpt-4o-mini"],
		["gpt-4o-mini-2024-07-18", "openai", "openai/gpt-4o-mini"],
		["GPT-4.1-2025-04-14", "openai", "openai/gpt-4.1"],
		["gpt-4.1-mini-2025-04-14", "openai", "openai/gpt-4.1-mini"],
		["gpt-4.1-nano", "openai", "openai/gpt-4.1-nano"],
		["o1-2024-12-17", "openai", "openai/o1"],
		["o1-preview-2024-09-12", "openai", "openai/o1"],
		["o1-mini-2024-09-12", "openai", "openai/o1-mini"],
		["o1-pro-2025-03-19", "openai", "openai/o1-pro"],
		["o3-2025-04-16", "openai", "openai/o3"],
		["o3-mini-high", "openai", "openai/o3-mini"],
		["o3-pro-2025-06-10", "openai", "openai/o3-pro"],
		["o4-mini-2025-04-16", "openai", "openai/o4-mini"],
		["gpt-5-2025-08-07", "openai", "openai/gpt-5"],
		["gpt-5-chat-latest", "openai", "openai/gpt-5"],
		["gpt-5-mini-2025-08-07", "openai", "openai/gpt-5-mini"],
		["gpt-5.1-2025-11-13", "openai", "openai/gpt-5.1"],
		["gpt-5.4-2026-03-05", "openai", "openai/gpt-5.4"],
		["gpt-5.4-mini-2026-03-17", "openai", "openai/gpt-5.4-mini"],
		["gpt-5-5", "openai", "openai/gpt-5.5"],
		["gpt-5.6", "openai", "openai/gpt-5.6-sol"],
		["claude-sonnet-4-5-20250929", "anthropic", "anthropic/claude-sonnet-4-5"],
		["anthropic/claude-sonnet-4-5", "anthropic", "anthropic/claude-sonnet-4-5"],
		["claude-sonnet-4-20250514", "anthropic", "anthropic/claude-sonnet-4"],
		["claude-sonnet-4-0", "anthropic", "anthropic/claude-sonnet-4"],
		["claude-4-sonnet-20250514", "anthropic", "anthropic/claude-sonnet-4"],
		["claude-opus-4-20250514", "anthropic", "anthropic/claude-opus-4"],
		["claude-opus-4-1-20250805", "anthropic", "anthropic/claude-opus-4-1"],
		["claude-opus-4-5-20251101", "anthropic", "anthropic/claude-opus-4-5"],
		["claude-3-7-sonnet-latest", "anthropic", "anthropic/claude-3-7-sonnet"],
		["claude-3.5-sonnet-20241022", "anthropic", "anthropic/claude-3-5-sonnet"],
		["claude-3-5-haiku-20241022", "anthropic", "anthropic/claude-3-5-haiku"],
		["claude-haiku-4-5-20251001", "anthropic", "anthropic/claude-haiku-4-5"],
		["anthropic.claude-3-5-sonnet-20241022-v2:0", "aws.bedrock", "anthropic/claude-3-5-sonnet"],
		["us.anthropic.claude-sonnet-4-20250514-v1:0", "aws.bedrock", "anthropic/claude-sonnet-4"],
		["global.anthropic.claude-opus-4-6-v1", "aws.bedrock", "anthropic/claude-opus-4-6"],
		["claude-3-5-sonnet-v2@20241022", "gcp.vertex_ai", "anthropic/claude-3-5-sonnet"],
		["claude-opus-4-1@20250805", "gcp.vertex_ai", "anthropic/claude-opus-4-1"],
		["gemini-2.5-pro", "google", "google/gemini-2.5-pro"],
		["models/gemini-2.5-pro", "google", "google/gemini-2.5-pro"],
		["gemini-2.5-pro-preview-06-05", "google", "google/gemini-2.5-pro"],
		["gemini-2.5-flash", "google", "google/gemini-2.5-flash"],
		["gemini-2.5-flash-lite-preview-06-17", "google", "google/gemini-2.5-flash-lite"],
		["publishers/google/models/gemini-2.5-flash", "gcp.vertex_ai", "google/gemini-2.5-flash"],
		["gemini-2.0-flash-001", "google", "google/gemini-2.0-flash"],
		["gemini-3-pro-preview", "google", "google/gemini-3-pro-preview"],
		["gemini-3.5-flash-lite", "google", "google/gemini-3.5-flash-lite"],
		["google/gemini-3.7-flash", "google", "google/gemini-3.7-flash"],
		["mistral-large-2512", "mistral", "mistral/mistral-large-3"],
		["mistral-large-2411", "mistral", "mistral/mistral-large-2"],
		["mistral-large-latest", "mistral", "mistral/mistral-large-3"],
		["mistral-medium-2508", "mistral", "mistral/mistral-medium-3"],
		["mistral-medium-latest", "mistral", "mistral/mistral-medium-3-5"],
		["mistral-small-2603", "mistral", "mistral/mistral-small-4"],
		["codestral-2508", "mistral", "mistral/codestral"],
		["codestral-latest", "mistral", "mistral/codestral"],
		["devstral-2512", "mistral", "mistral/devstral-2"],
		["llama-3.3-70b-versatile", "groq", "groq/llama-3.3-70b"],
		["groq/llama-3.1-8b-instant", "", "groq/llama-3.1-8b"],
		["meta-llama/llama-4-scout-17b-16e-instruct", "groq", "groq/llama-4-scout"],
		["meta-llama/llama-4-maverick-17b-128e-instruct", "groq", "groq/llama-4-maverick"],
		["meta-llama/Llama-3.3-70B-Instruct-Turbo", "together", "together/llama-3.3-70b"],
		["together_ai/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "", "together/llama-4-maverick"],
		["meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "together", "together/llama-3.1-8b"],
		["deepseek-chat", "deepseek", "deepseek/deepseek-chat"],
		["deepseek-reasoner", "deepseek", "deepseek/deepseek-reasoner"],
		["deepseek/deepseek-v4-pro", "deepseek", "deepseek/deepseek-v4-pro"],
		["grok-4-0709", "xai", "xai/grok-4"],
		["grok-4-latest", "xai", "xai/grok-4"],
		["grok-4-fast-reasoning", "xai", "xai/grok-4-fast"],
		["grok-4-1-fast-non-reasoning", "xai", "xai/grok-4-1-fast"],
		["grok-4.20-0309-reasoning", "xai", "xai/grok-4.20"],
		["x-ai/grok-4.5", "xai", "xai/grok-4.5"],
		["grok-3-latest", "xai", "xai/grok-3"],
		["grok-3-mini", "xai", "xai/grok-3-mini"],
	])("%s (provider %s) → %s", (model, provider, row) => {
		expect(pricedBy(model, provider)).toBe(row);
	});

	// Ids that must not be priced as a family they resemble (audio, realtime, search, fine-tuned, previews priced
	// apart, other hosts, legacy ids), and ids of no model at all.
	it.each<[string, string]>([
		["unknown", "unknown"],
		["", "openai"],
		["chatgpt-4o-latest", "openai"],
		["gpt-4o-mini-audio-preview", "openai"],
		["gpt-4o-realtime-preview-2024-10-01", "openai"],
		["gpt-4o-mini-tts", "openai"],
		["gpt-4o-transcribe", "openai"],
		["gpt-4o-search-preview", "openai"],
		["o3-deep-research", "openai"],
		["o4-mini-deep-research", "openai"],
		["gpt-5.1-codex-mini", "openai"],
		["gpt-4-32k-0613", "openai"],
		["ft:gpt-4o-mini-2024-07-18:acme::abc123", "openai"],
		["azure/my-prod-deployment", "azure"],
		["text-embedding-3-small", "openai"],
		["gemini-embedding-001", "google"],
		["mistral-embed", "mistral"],
		["dall-e-3", "openai"],
		["gpt-image-1", "openai"],
		["whisper-1", "openai"],
		["gemini-2.5-flash-image", "google"],
		["gemini-2.5-flash-preview-05-20", "google"],
		["gemini-2.0-flash-exp", "google"],
		["gemini-2.0-flash-thinking-exp-01-21", "google"],
		["gemini-2.5-flash-native-audio-preview-09-2025", "google"],
		["gemini-live-2.5-flash", "google"],
		["gemini-4-argon", "google"],
		["gemini-3.8-flash", "google"],
		["claude-2.1", "anthropic"],
		["claude-instant-1.2", "anthropic"],
		["grok-3-fast", "xai"],
		["grok-3-mini-fast", "xai"],
		["grok-2-1212", "xai"],
		["deepseek-r1-distill-llama-70b", "groq"],
		["deepseek-ai/DeepSeek-V3", "together"],
		["accounts/fireworks/models/llama-v3p3-70b-instruct", "fireworks"],
		["meta-llama/Llama-3.3-70B-Instruct", "meta"],
		["meta-llama/Llama-3.3-70B-Instruct", ""],
		["us.meta.llama3-3-70b-instruct-v1:0", "aws.bedrock"],
		["llama3-70b-8192", "groq"],
		["llama-3.1-70b-versatile", "groq"],
		["mistral-medium", "mistral"],
		["open-mistral-nemo", "mistral"],
		["devstral-small-2507", "mistral"],
	])("%s (provider %s) → no price", (model, provider) => {
		expect(pricedBy(model, provider)).toBeNull();
	});

	it("never answers for an id the table cannot have (over the contract's 256 characters)", () => {
		expect(familyOf(`gpt-4o${"-x".repeat(200)}`, "openai", () => true)).toBeUndefined();
		expect(familyOf("gpt-4o", "openai", () => false)).toBeUndefined();
	});

	it("strips only what keeps a price: a variant token is never dropped to reach a family", () => {
		// With every family "known", the first candidate is taken: the id itself, after cleaning.
		const all = () => true;
		for (const [raw, family] of [
			["gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"],
			["claude-opus-4-5-20251101", "claude-opus-4-5-20251101"],
			["gpt-5.1-codex-mini", "gpt-5.1-codex-mini"],
			["us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"],
		] as const)
			expect(familyOf(raw, "", all)?.family).toBe(family);
		// Only families the table has are reached, and never by dropping -mini, -lite, -fast or a version.
		const only =
			(...families: string[]) =>
			(f: string) =>
				families.includes(f);
		expect(familyOf("gpt-4o-mini", "openai", only("gpt-4o"))).toBeUndefined();
		expect(familyOf("gemini-3.5-flash-lite", "google", only("gemini-3.5-flash"))).toBeUndefined();
		expect(familyOf("grok-3-fast", "xai", only("grok-3"))).toBeUndefined();
		expect(familyOf("claude-opus-4-5", "anthropic", only("claude-opus-4"))).toBeUndefined();
		expect(familyOf("gpt-5.1", "openai", only("gpt-5"))).toBeUndefined();
	});

	it("prices a dated id exactly as its family", () => {
		for (const [dated, family, provider] of [
			["gpt-4o-2024-08-06", "gpt-4o", "openai"],
			["claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "anthropic"],
			["o3-pro-2025-06-10", "o3-pro", "openai"],
			["grok-4-0709", "grok-4", "xai"],
			["gemini-2.0-flash-001", "gemini-2.0-flash", "google"],
		] as const) {
			const usage = { input: 1234, output: 567, cacheRead: 89, cacheWrite: 10, reasoning: 11 };
			const a = book.priceOf(dated, provider, AT);
			const b = book.priceOf(family, provider, AT);
			expect(a).toBeDefined();
			expect(a).toBe(b);
			expect(costOf(a as never, usage, "provider")).toBe(costOf(b as never, usage, "provider"));
		}
	});
});

/** The three token mixes of the cost table. */
const PLAIN: Usage = { input: 12_000, output: 3_000, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
/** 8,000 tokens read from the cache and 2,000 written: within the 12,000 of input (OpenAI style), beside them (Anthropic). */
const CACHED: Usage = { ...PLAIN, cacheRead: 8_000, cacheWrite: 2_000 };
/** 1,000 reasoning tokens: within the 3,000 of output, except for Google and xAI, which count them apart. */
const REASONING: Usage = { ...PLAIN, reasoning: 1_000 };

const cost = (model: string, provider: string, usage: Usage, counting: Counting = "provider") => {
	const price = book.priceOf(model, provider, AT);
	if (!price) throw new Error(`no price for ${model}`);
	return costOf(price, usage, counting);
};

describe("cost of a record, as each provider bills it", () => {
	// 26 models × plain, cached, reasoning, the counts as the provider's API reports them (POST /ingest/llm).
	it.each<[string, string, number, number, number]>([
		["gpt-4o-2024-08-06", "openai", 0.06, 0.05, 0.06], // 2.5/10, cached 1.25, no write price
		["gpt-4o-2024-05-13", "openai", 0.105, 0.105, 0.105], // 5/15, its own price; no cache price
		["gpt-4o-mini-2024-07-18", "openai", 0.0036, 0.003, 0.0036], // 0.15/0.6, cached 0.075
		["gpt-4.1-2025-04-14", "openai", 0.048, 0.036, 0.048], // 2/8, cached 0.5
		["o3-2025-04-16", "openai", 0.048, 0.036, 0.048], // 2/8, cached 0.5
		["o4-mini-2025-04-16", "openai", 0.0264, 0.0198, 0.0264], // 1.1/4.4, cached 0.275
		["gpt-5-2025-08-07", "openai", 0.045, 0.036, 0.045], // 1.25/10, cached 0.125
		["gpt-5-mini", "openai", 0.009, 0.0072, 0.009], // 0.25/2, cached 0.025
		["gpt-5.6", "openai", 0.15, 0.1165, 0.15], // sol: 5/30, cached 0.5, write 6.25
		["claude-sonnet-4-5-20250929", "anthropic", 0.081, 0.0909, 0.081], // 3/15, cached 0.3, write 3.75
		["claude-opus-4-1-20250805", "anthropic", 0.405, 0.4545, 0.405], // 15/75, cached 1.5, write 18.75
		["claude-haiku-4-5-20251001", "anthropic", 0.027, 0.0303, 0.027], // 1/5, cached 0.1, write 1.25
		["claude-3-5-haiku-20241022", "anthropic", 0.0216, 0.02424, 0.0216], // 0.8/4, cached 0.08, write 1
		["gemini-2.5-pro", "google", 0.045, 0.036, 0.055], // 1.25/10, cached 0.125; thinking billed as output
		["models/gemini-2.5-flash", "google", 0.0111, 0.00894, 0.0136], // 0.3/2.5, cached 0.03
		["gemini-2.0-flash-lite-001", "google", 0.0018, 0.0018, 0.0021], // 0.075/0.3, no cache price
		["gemini-3.7-flash", "google", 0.02025, 0.01485, 0.024], // 0.75/3.75, cached 0.075 (until 2027)
		["mistral-large-2512", "mistral", 0.0105, 0.0069, 0.0105], // 0.5/1.5, cached 0.05
		["mistral-medium-2508", "mistral", 0.0108, 0.0108, 0.0108], // 0.4/2, no cache price
		["codestral-2508", "mistral", 0.0063, 0.00414, 0.0063], // 0.3/0.9, cached 0.03
		["llama-3.3-70b-versatile", "groq", 0.00945, 0.00945, 0.00945], // Groq: 0.59/0.79
		["meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "together", 0.00579, 0.00579, 0.00579], // Together: 0.27/0.85
		["deepseek-v4-flash", "deepseek", 0.00252, 0.0014224, 0.00252], // 0.14/0.28, cached 0.0028
		["deepseek-reasoner", "deepseek", 0.00252, 0.0014224, 0.00252], // 0.14/0.28, cached 0.0028; CoT is output
		["grok-4-0709", "xai", 0.081, 0.063, 0.096], // 3/15, cached 0.75; reasoning counted apart
		["grok-3-mini", "xai", 0.0051, 0.0033, 0.0056], // 0.3/0.5, cached 0.075
	])("%s (%s): plain %d, cached %d, reasoning %d", (model, provider, plain, cached, reasoning) => {
		expect(cost(model, provider, PLAIN)).toBeCloseTo(plain, 12);
		expect(cost(model, provider, CACHED)).toBeCloseTo(cached, 12);
		expect(cost(model, provider, REASONING)).toBeCloseTo(reasoning, 12);
	});

	it("reads GenAI span counts as the conventions define them: cache and reasoning within input and output", () => {
		// Anthropic: 2,000 uncached × 3 + 8,000 × 0.3 + 2,000 × 3.75 + 3,000 × 15 = 60,900 → $0.0609.
		expect(cost("claude-sonnet-4-5", "anthropic", CACHED, "semconv")).toBeCloseTo(0.0609, 12);
		// Gemini: the 1,000 reasoning tokens are part of the 3,000 of output: 12,000 × 1.25 + 3,000 × 10 → $0.045.
		expect(cost("gemini-2.5-pro", "google", REASONING, "semconv")).toBeCloseTo(0.045, 12);
		// OpenAI counts the same either way.
		expect(cost("gpt-4o", "openai", CACHED, "semconv")).toBe(cost("gpt-4o", "openai", CACHED, "provider"));
	});

	it("takes counts whose cache exceeds the input as reported without it, never pricing a negative input", () => {
		// 1,000 input and 8,000 + 2,000 from the cache: the input cannot include them.
		const odd: Usage = { input: 1_000, output: 0, cacheRead: 8_000, cacheWrite: 2_000, reasoning: 0 };
		// 1,000 × 2.5 + 8,000 × 1.25 + 2,000 × 2.5 = 17,500 → $0.0175.
		expect(cost("gpt-4o", "openai", odd)).toBeCloseTo(0.0175, 12);
		expect(cost("gpt-4o", "openai", odd, "semconv")).toBeCloseTo(0.0175, 12);
	});

	it("is proportional in tokens and never negative", () => {
		const models = [...new Set(SEEDED_PRICES.map((p) => `${p.provider}/${p.family}`))];
		const count = fc.integer({ min: 0, max: 10_000_000 });
		fc.assert(
			fc.property(
				fc.constantFrom(...models),
				fc.record({ input: count, output: count, cacheRead: count, cacheWrite: count, reasoning: count }),
				fc.integer({ min: 2, max: 1000 }),
				fc.constantFrom<Counting>("provider", "semconv"),
				(id, usage, k, counting) => {
					const [provider, family] = id.split("/") as [string, string];
					const price = book.priceOf(family, provider, AT);
					if (!price) return; // a family whose only row starts later
					const once = costOf(price, usage, counting);
					const scaled: Usage = {
						input: usage.input * k,
						output: usage.output * k,
						cacheRead: usage.cacheRead * k,
						cacheWrite: usage.cacheWrite * k,
						reasoning: usage.reasoning * k,
					};
					expect(once).toBeGreaterThanOrEqual(0);
					// Equal up to the rounding of doubles (relative 1e-12).
					expect(Math.abs(costOf(price, scaled, counting) - once * k)).toBeLessThanOrEqual(once * k * 1e-12);
					// Double the tokens of one kind, never less cost.
					expect(costOf(price, { ...usage, output: usage.output * 2 }, counting)).toBeGreaterThanOrEqual(once);
				},
			),
			{ numRuns: 2_000, seed: 22 },
		);
	});

	it("follows a price change announced for a date (Gemini 3.7 Flash doubles on 2027-01-01)", () => {
		const before = book.priceOf("gemini-3.7-flash", "google", Date.UTC(2026, 11, 31, 23, 59, 59, 999));
		const after = book.priceOf("gemini-3.7-flash", "google", Date.UTC(2027, 0, 1));
		expect([before?.input, before?.output, before?.cachedInput]).toEqual([0.75, 3.75, 0.075]);
		expect([after?.input, after?.output, after?.cachedInput]).toEqual([1.5, 7.5, 0.15]);
		// Before a family's first row there is no price.
		expect(book.priceOf("gpt-5.6-sol", "openai", Date.UTC(2026, 0, 1))).toBeUndefined();
	});
});

describe("the cost columns of a row", () => {
	const row = (over: Partial<{ model: string; input_tokens: number; output_tokens: number; cost_usd: number }>) => ({
		model: "gpt-4o-2024-08-06",
		provider: "openai",
		input_tokens: 1250,
		output_tokens: 340,
		cost_usd: 0,
		...over,
	});
	const none = { cacheRead: 0, cacheWrite: 0, reasoning: 0 };

	it("infers a cost missing or 0 for a known model, with the table's version", () => {
		const r = row({});
		expect(needsPrice(r, none)).toBe(true);
		// 1,250 × 2.5 + 340 × 10 = 6,525 → $0.006525.
		expect(priced({ row: r, details: none, counting: "provider" }, book, AT)).toMatchObject({
			cost_source: "inferred",
			price_version: "7",
		});
		expect(r.cost_usd).toBeCloseTo(0.006525, 12);
	});

	it("keeps a client's cost: never priced, never replaced", () => {
		const r = row({ cost_usd: 0.0089 });
		expect(needsPrice(r, none)).toBe(false);
		expect(unpriced(r)).toEqual({ ...row({ cost_usd: 0.0089 }), cost_source: "client", price_version: "" });
	});

	it("leaves an unknown model, or no tokens, at 0 and unknown", () => {
		const unknownModel = row({ model: "my-own-model" });
		expect(priced({ row: unknownModel, details: none, counting: "provider" }, book, AT)).toMatchObject({
			cost_usd: 0,
			cost_source: "unknown",
			price_version: "7",
		});
		// No table at all (the stores never answered): unknown, and no version.
		const noTable = priced({ row: row({}), details: none, counting: "provider" }, undefined, AT);
		expect(noTable).toMatchObject({ cost_usd: 0, cost_source: "unknown", price_version: "" });
		// wrapVercelAI on AI SDK 5 sends 0 tokens: nothing to price, not a $0 call.
		const empty = row({ input_tokens: 0, output_tokens: 0 });
		expect(needsPrice(empty, none)).toBe(false);
		expect(unpriced(empty)).toMatchObject({ cost_usd: 0, cost_source: "unknown", price_version: "" });
	});
});
