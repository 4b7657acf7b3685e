import { Hono } from "hono/tiny";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { spanRow } from "../../ingest/rows.ts";
import { SpanBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function tracesRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(SpanBody), (c) => {
		c.get("event").count = 1;
		return accept(c, [{ table: "spans", rows: [spanRow(c.req.valid("json"), provenance(c, now()))] }], { ok: true });
	});
}
