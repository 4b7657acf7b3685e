import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { validBody } from "../../http/validation.ts";
import { fastLlm } from "../../ingest/fast.ts";
import { llmRow } from "../../ingest/rows.ts";
import { LlmBody } from "../../ingest/schemas.ts";

export function llmHandler(now: () => number) {
	return async function llm(c: Context<AppEnv>): Promise<Response> {
		const row = llmRow(await validBody(c, LlmBody, fastLlm, now), provenance(c, now()));
		c.get("event").count = 1;
		return accept(c, [{ table: "llm_usage", rows: [row] }], { ok: true });
	};
}
