import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { readJson, zodParse } from "../../http/validation.ts";
import { fastErrorRow } from "../../ingest/fast.ts";
import { fingerprintError } from "../../ingest/fingerprint.ts";
import { errorRow } from "../../ingest/rows.ts";
import { ErrorBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function errorsHandler(now: () => number) {
	return async function errors(c: Context<AppEnv>): Promise<Response> {
		const json = await readJson(c, now);
		const p = provenance(c, now());
		// Straight from JSON to the row on the fast path; zod decides (and renders the 400) otherwise.
		const row = fastErrorRow(json, p) ?? errorRow(zodParse(ErrorBody, json), "", p);
		const known = fingerprintError({ errorMessage: row.error_message, stackTrace: row.stack_trace });
		row.fingerprint = typeof known === "string" ? known : await known;
		c.get("event").count = 1;
		return accept(c, [{ table: "errors", rows: [row] }], { ok: true, fingerprint: row.fingerprint });
	};
}
