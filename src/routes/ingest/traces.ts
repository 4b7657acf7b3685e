import { jsonFormat } from "../../http/body.ts";
import { type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastSpan } from "../../ingest/fast.ts";
import { spanRow } from "../../ingest/rows.ts";
import { SpanBody } from "../../ingest/schemas.ts";

/** POST /ingest/traces: one span. */
export const traces: Intake<"json"> = {
	route: "traces",
	format: jsonFormat,
	decode(body, p) {
		const json = jsonOf(body);
		// The fast path for the common case; zod decides (and renders the 400) otherwise.
		const clips = new Clips();
		const row = spanRow(fastSpan(json) ?? zodParse(SpanBody, json), p, clips);
		return {
			writes: [{ table: "spans", rows: [row] }],
			reply: { json: { ok: true } },
			count: 1,
			truncated: clips.total,
		};
	},
};
