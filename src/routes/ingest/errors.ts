import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { fingerprintError } from "../../ingest/fingerprint.ts";
import { errorRow } from "../../ingest/rows.ts";
import { ErrorBody } from "../../ingest/schemas.ts";
import { provenance, writeInBackground } from "../../ingest/write.ts";

export function errorsRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(ErrorBody), async (c) => {
		const body = c.req.valid("json");
		const fingerprint = await fingerprintError({ errorMessage: body.error_message, stackTrace: body.stack_trace });
		writeInBackground(c, "errors", [errorRow(body, fingerprint, provenance(c, now()))]);
		c.get("event").count = 1;
		return c.json({ ok: true, fingerprint });
	});
}
