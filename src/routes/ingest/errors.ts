import { jsonFormat } from "../../http/body.ts";
import { type Intake, jsonOf } from "../../http/intake.ts";
import { zodParse } from "../../http/validation.ts";
import { Clips } from "../../ingest/clip.ts";
import { fastErrorRow } from "../../ingest/fast.ts";
import { loadSchemas } from "../../ingest/load-schemas.ts";
import { errorRow } from "../../ingest/rows.ts";
import { fingerprintResolved } from "../../sourcemaps/fingerprint.ts";

/** POST /ingest/errors: one error, fingerprinted (through its source maps, when the project uploaded some). */
export const errors: Intake<"json"> = {
	route: "errors",
	format: jsonFormat,
	async decode(body, p, lookups) {
		const json = jsonOf(body);
		// Straight from JSON to the row on the fast path; zod decides (and renders the 400) otherwise.
		const clips = new Clips();
		// A clipped stack is fingerprinted as stored: the same error sent again, clipped the same, groups the same.
		const row = fastErrorRow(json, p) ?? errorRow(zodParse((await loadSchemas()).ErrorBody, json), "", p, clips);
		// Frames with an uploaded map are fingerprinted as their original code, so a rebuild groups the same.
		const { fingerprint, resolved } = await fingerprintResolved({
			errorMessage: row.error_message,
			stackTrace: row.stack_trace,
			release: row.release,
			project: p.projectId,
			store: lookups.sourceMaps,
			now: p.receivedAt,
		});
		row.fingerprint = fingerprint;
		const stored = Object.assign(row, {
			resolved_stack_trace: resolved.status === "resolved" ? resolved.text : "",
			symbolication: resolved.status,
		});
		return {
			writes: [{ table: "errors", rows: [stored] }],
			reply: { json: { ok: true, fingerprint } },
			count: 1,
			truncated: clips.total,
			...(resolved.status === "none" ? {} : { facts: { symbolication: resolved.status } }),
		};
	},
};
