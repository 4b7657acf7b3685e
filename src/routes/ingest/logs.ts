import { jsonFormat } from "../../http/body.ts";
import { type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastLogRows } from "../../ingest/fast.ts";
import { logRows } from "../../ingest/rows.ts";
import { LogsBody } from "../../ingest/schemas.ts";

/** POST /ingest/logs: a batch of 1-1000 log entries. */
export const logs: Intake<"json"> = {
	route: "logs",
	format: jsonFormat,
	decode(body, p) {
		const json = jsonOf(body);
		const clips = new Clips();
		// The hot path: a batch goes straight from JSON to rows; zod decides (and renders the 400, or clips) otherwise.
		const rows = fastLogRows(json, p) ?? logRows(zodParse(LogsBody, json), p, clips);
		const reply = { json: { ok: true, count: rows.length } };
		return { writes: [{ table: "logs", rows }], reply, count: rows.length, truncated: clips.total };
	},
};
