import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { readJson, zodParse } from "../../http/validation.ts";
import { fastLlm } from "../../ingest/fast.ts";
import { llmRow } from "../../ingest/rows.ts";
import { LlmBody } from "../../ingest/schemas.ts";

export function llmHandler(now: () => number) {
	return async function llm(c: Context<AppEnv>): Promise<Response> {
		const json = await readJson(c, now);
		// The fast path for the common case; zod decides (and renders the 400) otherwise.
		const row = llmRow(fastLlm(json) ?? zodParse(LlmBody, json), provenance(c, now()));
		c.get("event").count = 1;
		return accept(c, [{ table: "llm_usage", rows: [row] }], { ok: true });
	};
}
