import { jsonFormat } from "../../http/body.ts";
import { type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastLlm } from "../../ingest/fast.ts";
import { llmRow } from "../../ingest/rows.ts";
import { LlmBody } from "../../ingest/schemas.ts";

/** POST /ingest/llm: one LLM usage record. */
export const llm: Intake<"json"> = {
	route: "llm",
	format: jsonFormat,
	decode(body, p) {
		const json = jsonOf(body);
		// The fast path for the common case; zod decides (and renders the 400) otherwise.
		const clips = new Clips();
		const row = llmRow(fastLlm(json) ?? zodParse(LlmBody, json), p, clips);
		const writes = [{ table: "llm_usage" as const, rows: [row] }];
		return { writes, reply: { json: { ok: true } }, count: 1, truncated: clips.total };
	},
};
