import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { validBody } from "../../http/validation.ts";
import { fastError } from "../../ingest/fast.ts";
import { fingerprintError } from "../../ingest/fingerprint.ts";
import { errorRow } from "../../ingest/rows.ts";
import { ErrorBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function errorsHandler(now: () => number) {
	return async function errors(c: Context<AppEnv>): Promise<Response> {
		const body = await validBody(c, ErrorBody, fastError);
		const known = fingerprintError({ errorMessage: body.error_message, stackTrace: body.stack_trace });
		const fingerprint = typeof known === "string" ? known : await known;
		c.get("event").count = 1;
		return accept(c, [{ table: "errors", rows: [errorRow(body, fingerprint, provenance(c, now()))] }], {
			ok: true,
			fingerprint,
		});
	};
}
