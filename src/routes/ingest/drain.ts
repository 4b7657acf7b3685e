import type { Context } from "hono";
import { NOT_UTF8 } from "../../failure.ts";
import type { Write } from "../../http/accept.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { contentTypeAccepted, mediaType } from "../../http/body.ts";
import { FailureError } from "../../http/errors.ts";
import type { Decoded, Intake } from "../../http/intake.ts";
import { json } from "../../http/respond.ts";
import { drainRows } from "../../ingest/vercel.ts";
import { vercelSignature } from "../vercel.ts";

const NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl"];

const verification: Decoded = {
	answer: { status: 200, reply: { json: { ok: true, count: 0 } }, outcome: "drain_verification" },
};

/** GET /ingest/drain: Vercel's ownership check (the x-vercel-verify header is vercelVerify's). */
export function drainVerification(c: Context<AppEnv>): Response {
	c.get("event").outcome = "drain_verification";
	return json(c, { ok: true, count: 0 });
}

/**
 * POST /ingest/drain: Vercel log, Speed Insights and Web Analytics drains, JSON array or NDJSON, optionally gzip,
 * optionally signed; each entry a row of its schema's table.
 */
export const drain: Intake<"json" | "ndjson"> = {
	route: "drain",
	format(contentType) {
		if (NDJSON_TYPES.includes(mediaType(contentType))) return "ndjson";
		return contentTypeAccepted(contentType) ? "json" : undefined;
	},
	// As bytes: the entries are read one at a time from them (src/ingest/drain-parse.ts), not as one big text.
	binary: () => true,
	sameBodySameRequest: true,
	verify: vercelSignature(true),
	decode(body, p): Decoded {
		const drained = drainRows(body.decoded, body.format === "ndjson", p);
		if (!drained.ok) throw new FailureError(drained.failure === "not_utf8" ? NOT_UTF8 : { kind: "malformed_json" });
		const { count, rejected, truncated } = drained;
		if (count === 0) return verification;
		const stored = drained.logs.length + drained.webVitals.length + drained.webEvents.length;
		if (stored === 0) {
			const answer = { status: 400, reply: { json: { error: "No valid log drain entries", rejected: count } } };
			return { answer: { ...answer, outcome: "invalid_payload" }, rejected };
		}
		const refused = count - stored;
		const reply = refused > 0 ? { ok: true, count: stored, rejected: refused } : { ok: true, count: stored };
		const writes: Write[] = [
			{ table: "logs", rows: drained.logs },
			{ table: "web_vitals", rows: drained.webVitals },
			{ table: "web_events", rows: drained.webEvents },
		];
		return { writes, reply: { json: reply }, count: stored, rejected, truncated };
	},
};
