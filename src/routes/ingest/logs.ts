import { Hono } from "hono/tiny";
import type { AppEnv } from "../../context.ts";
import { validate } from "../../http/validation.ts";
import { logRows } from "../../ingest/rows.ts";
import { LogsBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function logsRoute(now: () => number) {
	return new Hono<AppEnv>().post("/", validate(LogsBody), (c) => {
		const rows = logRows(c.req.valid("json"), provenance(c, now()));
		c.get("event").count = rows.length;
		return accept(c, [{ table: "logs", rows }], { ok: true, count: rows.length });
	});
}
