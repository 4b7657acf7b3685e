import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { readJson, zodParse } from "../../http/validation.ts";
import { fastErrorRow } from "../../ingest/fast.ts";
import { errorRow } from "../../ingest/rows.ts";
import { ErrorBody } from "../../ingest/schemas.ts";
import { fingerprintResolved } from "../../sourcemaps/fingerprint.ts";

export function errorsHandler(now: () => number) {
	return async function errors(c: Context<AppEnv>): Promise<Response> {
		const json = await readJson(c, now);
		const p = provenance(c, now());
		// Straight from JSON to the row on the fast path; zod decides (and renders the 400) otherwise.
		const row = fastErrorRow(json, p) ?? errorRow(zodParse(ErrorBody, json), "", p);
		// Frames with an uploaded map are fingerprinted as their original code, so a rebuild groups the same.
		const { fingerprint, resolved } = await fingerprintResolved({
			errorMessage: row.error_message,
			stackTrace: row.stack_trace,
			release: row.release,
			project: p.projectId,
			store: c.get("services").sourceMaps,
			now: p.receivedAt,
		});
		row.fingerprint = fingerprint;
		const stored = Object.assign(row, {
			resolved_stack_trace: resolved.status === "resolved" ? resolved.text : "",
			symbolication: resolved.status,
		});
		c.get("event").count = 1;
		if (resolved.status !== "none") c.get("event").symbolication = resolved.status;
		return accept(c, [{ table: "errors", rows: [stored] }], { ok: true, fingerprint: row.fingerprint });
	};
}
