import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { readJson, zodParse } from "../../http/validation.ts";
import { fastSpan } from "../../ingest/fast.ts";
import { spanRow } from "../../ingest/rows.ts";
import { SpanBody } from "../../ingest/schemas.ts";

export function tracesHandler(now: () => number) {
	return async function traces(c: Context<AppEnv>): Promise<Response> {
		const json = await readJson(c, now);
		// The fast path for the common case; zod decides (and renders the 400) otherwise.
		const row = spanRow(fastSpan(json) ?? zodParse(SpanBody, json), provenance(c, now()));
		c.get("event").count = 1;
		return accept(c, [{ table: "spans", rows: [row] }], { ok: true });
	};
}
