import { Hono } from "hono/tiny";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { fingerprintError } from "../../ingest/fingerprint.ts";
import { errorRow } from "../../ingest/rows.ts";
import { ErrorBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function errorsRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(ErrorBody), async (c) => {
		const body = c.req.valid("json");
		const fingerprint = await fingerprintError({ errorMessage: body.error_message, stackTrace: body.stack_trace });
		c.get("event").count = 1;
		return accept(c, [{ table: "errors", rows: [errorRow(body, fingerprint, provenance(c, now()))] }], {
			ok: true,
			fingerprint,
		});
	});
}
