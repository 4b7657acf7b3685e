import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { spanRow } from "../../ingest/rows.ts";
import { SpanBody } from "../../ingest/schemas.ts";
import { provenance, writeInBackground } from "../../ingest/write.ts";

export function tracesRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(SpanBody), (c) => {
		writeInBackground(c, "spans", [spanRow(c.req.valid("json"), provenance(c, now()))]);
		c.get("event").count = 1;
		return c.json({ ok: true });
	});
}
