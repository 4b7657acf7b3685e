import { Hono } from "hono/tiny";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { llmRow } from "../../ingest/rows.ts";
import { LlmBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function llmRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(LlmBody), (c) => {
		c.get("event").count = 1;
		return accept(c, [{ table: "llm_usage", rows: [llmRow(c.req.valid("json"), provenance(c, now()))] }], { ok: true });
	});
}
