import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { readJson, zodParse } from "../../http/validation.ts";
import { fastLogRows } from "../../ingest/fast.ts";
import { logRows } from "../../ingest/rows.ts";
import { LogsBody } from "../../ingest/schemas.ts";

export function logsHandler(now: () => number) {
	return async function logs(c: Context<AppEnv>): Promise<Response> {
		const json = await readJson(c, now);
		const p = provenance(c, now());
		// The hot path: a batch goes straight from JSON to rows; zod decides (and renders the 400) otherwise.
		const rows = fastLogRows(json, p) ?? logRows(zodParse(LogsBody, json), p);
		c.get("event").count = rows.length;
		return accept(c, [{ table: "logs", rows }], { ok: true, count: rows.length });
	};
}
