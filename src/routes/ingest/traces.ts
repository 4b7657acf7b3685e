import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { validBody } from "../../http/validation.ts";
import { fastSpan } from "../../ingest/fast.ts";
import { spanRow } from "../../ingest/rows.ts";
import { SpanBody } from "../../ingest/schemas.ts";

export function tracesHandler(now: () => number) {
	return async function traces(c: Context<AppEnv>): Promise<Response> {
		const row = spanRow(await validBody(c, SpanBody, fastSpan, now), provenance(c, now()));
		c.get("event").count = 1;
		return accept(c, [{ table: "spans", rows: [row] }], { ok: true });
	};
}
