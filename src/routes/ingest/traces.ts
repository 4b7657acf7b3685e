import { jsonFormat } from "../../http/body.ts";
import { type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastSpan } from "../../ingest/fast.ts";
import { loadSchemas } from "../../ingest/load-schemas.ts";
import { spanRow } from "../../ingest/rows.ts";

/** POST /ingest/traces: one span. */
export const traces: Intake<"json"> = {
	route: "traces",
	format: jsonFormat,
	async decode(body, p) {
		const json = jsonOf(body);
		// The fast path for the common case; zod decides (and renders the 400) otherwise.
		const clips = new Clips();
		const row = spanRow(fastSpan(json) ?? zodParse((await loadSchemas()).SpanBody, json), p, clips);
		return {
			writes: [{ table: "spans", rows: [row] }],
			reply: { json: { ok: true } },
			count: 1,
			truncated: clips.total,
		};
	},
};
