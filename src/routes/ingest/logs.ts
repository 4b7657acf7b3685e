import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { validBody } from "../../http/validation.ts";
import { fastLogs } from "../../ingest/fast.ts";
import { logRows } from "../../ingest/rows.ts";
import { LogsBody } from "../../ingest/schemas.ts";
import { accept, provenance } from "../../ingest/write.ts";

export function logsHandler(now: () => number) {
	return async function logs(c: Context<AppEnv>): Promise<Response> {
		const rows = logRows(await validBody(c, LogsBody, { fast: fastLogs }), provenance(c, now()));
		c.get("event").count = rows.length;
		return accept(c, [{ table: "logs", rows }], { ok: true, count: rows.length });
	};
}
