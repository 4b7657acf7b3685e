import { jsonFormat } from "../../http/body.ts";
import { type Decoded, type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastLlm } from "../../ingest/fast.ts";
import { loadSchemas } from "../../ingest/load-schemas.ts";
import { llmRow } from "../../ingest/rows.ts";
import { metadataDetails, NO_DETAILS, needsPrice, priceAll, unpriced } from "../../prices/apply.ts";

/** POST /ingest/llm: one LLM usage record, priced from the price table when it has no cost of its own. */
export const llm: Intake<"json"> = {
	route: "llm",
	format: jsonFormat,
	async decode(body, p, lookups) {
		const json = jsonOf(body);
		// The fast path for the common case; zod decides (and renders the 400) otherwise.
		const clips = new Clips();
		const row = llmRow(fastLlm(json) ?? zodParse((await loadSchemas()).LlmBody, json), p, clips);
		const decoded = (available = true): Decoded => ({
			writes: [{ table: "llm_usage", rows: [row] }],
			reply: { json: { ok: true } },
			count: 1,
			truncated: clips.total,
			...(available ? {} : { facts: { prices: "unavailable" } }),
		});
		// A valid body is an object; its metadata (if any) a JSON object, read for cache and reasoning counts unless
		// the record has a cost of its own.
		const details = row.cost_usd > 0 ? NO_DETAILS : metadataDetails((json as { metadata?: unknown }).metadata);
		if (!needsPrice(row, details)) {
			unpriced(row);
			return decoded();
		}
		const available = priceAll([{ row, details, counting: "provider" }], lookups.prices, p.receivedAt);
		return typeof available === "boolean" ? decoded(available) : available.then(decoded);
	},
};
