import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { llmRow } from "../../ingest/rows.ts";
import { LlmBody } from "../../ingest/schemas.ts";
import { provenance, writeInBackground } from "../../ingest/write.ts";

export function llmRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(LlmBody), (c) => {
		writeInBackground(c, "llm_usage", [llmRow(c.req.valid("json"), provenance(c, now()))]);
		c.get("event").count = 1;
		return c.json({ ok: true });
	});
}
