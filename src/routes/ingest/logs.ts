import { jsonFormat } from "../../http/body.ts";
import { type Decoded, type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastLogRows } from "../../ingest/fast.ts";
import { loadSchemas } from "../../ingest/load-schemas.ts";
import { type LogRow, logRows, type Provenance } from "../../ingest/rows.ts";

/** POST /ingest/logs: a batch of 1-1000 log entries. */
export const logs: Intake<"json"> = {
	route: "logs",
	format: jsonFormat,
	decode(body, p) {
		const json = jsonOf(body);
		// The hot path: a batch goes straight from JSON to rows; zod decides (and renders the 400, or clips) otherwise.
		const rows = fastLogRows(json, p);
		return rows ? decoded(rows, 0) : slow(json, p);
	},
};

async function slow(json: unknown, p: Provenance): Promise<Decoded> {
	const clips = new Clips();
	const rows = logRows(zodParse((await loadSchemas()).LogsBody, json), p, clips);
	return decoded(rows, clips.total);
}

function decoded(rows: LogRow[], truncated: number): Decoded {
	const reply = { json: { ok: true, count: rows.length } };
	return { writes: [{ table: "logs", rows }], reply, count: rows.length, truncated };
}
