import type { ModelPrice } from "../ports.ts";

// Tokens × price, the way each provider counts and bills them (research: /work/scratch/prices/usage-fields.md).
// What differs between providers is not the rates but what their counts include: OpenAI's prompt_tokens include
// the cached tokens, Anthropic's input_tokens leave out both cache reads and cache writes; Gemini's and xAI's
// output counts leave out the reasoning ("thinking") tokens they bill as output, everyone else's include them.

/** A record's token counts (whole, ≥ 0). cacheRead, cacheWrite, reasoning: 0 when the record does not say. */
export interface Usage {
	input: number;
	output: number;
	cacheRead: number;
	cacheWrite: number;
	reasoning: number;
}

/**
 * How the counts were reported. `provider`: as the provider's own API reports them (POST /ingest/llm: the SDK's
 * wrappers pass the provider's usage on). `semconv`: as the OpenTelemetry GenAI conventions ask (input includes
 * cache reads and writes, output includes reasoning), whoever the provider.
 */
export type Counting = "provider" | "semconv";

/** Providers whose input count leaves the cached tokens out (Anthropic's Messages API). */
const INPUT_EXCLUDES_CACHE = new Set(["anthropic"]);
/** Providers whose output count leaves the billed reasoning tokens out (Gemini's thoughtsTokenCount, xAI's). */
const OUTPUT_EXCLUDES_REASONING = new Set(["google", "xai"]);

/** The cost in USD of `usage` at `price`. Linear in every count; never negative. */
export function costOf(price: ModelPrice, usage: Usage, counting: Counting): number {
	const cached = usage.cacheRead + usage.cacheWrite;
	// Counts that cannot include the cache (cache > input) were reported without it, whatever the convention says:
	// subtracting would price a negative input (Relay's test_calculate_cost_negative).
	const inputIncludesCache =
		cached <= usage.input && (counting === "semconv" || !INPUT_EXCLUDES_CACHE.has(price.provider));
	const uncached = inputIncludesCache ? usage.input - cached : usage.input;
	const output =
		counting === "provider" && OUTPUT_EXCLUDES_REASONING.has(price.provider)
			? usage.output + usage.reasoning
			: usage.output;
	// A rate the provider does not set bills those tokens as plain input.
	const read = price.cachedInput ?? price.input;
	const write = price.cacheWrite ?? price.input;
	return (
		(uncached * price.input + usage.cacheRead * read + usage.cacheWrite * write + output * price.output) / 1_000_000
	);
}
