import type { Context, Next } from "hono";
import { Hono } from "hono/tiny";
import type { AppEnv } from "../../context.ts";
import { accept, provenance } from "../../http/accept.ts";
import { contentTypeAccepted, MAX_BODY_BYTES, mediaType, NOT_UTF8, readBody } from "../../http/body.ts";
import { FailureError } from "../../http/errors.ts";
import { noteIdempotency } from "../../http/idempotency.ts";
import { json } from "../../http/respond.ts";
import { verifyVercelSignature } from "../../ingest/signature.ts";
import { drainRows } from "../../ingest/vercel.ts";

const NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl"];

/**
 * Every drain response carries the project's verification code, when it has one: the gate's refusals too (a 429
 * once the key is known), so this runs around the gate (src/routes/ingest/index.ts mounts it before it).
 */
export async function vercelVerify(c: Context<AppEnv>, next: Next): Promise<void> {
	await next();
	const verify = c.var.apiKey?.vercelVerify;
	if (verify) c.res.headers.set("x-vercel-verify", verify);
}

/** Vercel log drain: JSON array or NDJSON, optionally gzip, optionally signed; one log row per entry. */
export function drainRoute(now: () => number) {
	const app = new Hono<AppEnv>();

	app.get("/", (c) => verification(c));

	app.post("/", async (c) => {
		if (!contentTypeAccepted(c.req.header("content-type"), NDJSON_TYPES)) {
			throw new FailureError({ kind: "unsupported_media_type", what: "content-type" });
		}
		// As bytes: the entries are read one at a time from them (src/ingest/drain-parse.ts), not as one big text.
		const body = await readBody(c.req.raw, MAX_BODY_BYTES, { binary: true, contentLength: c.get("contentLength") });
		if (!body.ok) throw new FailureError(body.failure);
		const event = c.get("event");
		event.bytes = body.bytes;

		const secret = c.get("apiKey").drainSecret;
		if (secret) {
			// Over the bytes as received; when Vercel compressed them, the decompressed bytes are accepted too.
			const signature = c.req.header("x-vercel-signature") ?? "";
			const valid =
				(await verifyVercelSignature(secret, body.raw, signature)) ||
				(body.decoded !== body.raw && (await verifyVercelSignature(secret, body.decoded, signature)));
			if (!valid) throw new FailureError({ kind: "signature_invalid" });
		}

		await noteIdempotency(c, body.decoded, now());
		const ndjson = NDJSON_TYPES.includes(mediaType(c.req.header("content-type")));
		const drained = drainRows(body.decoded, ndjson, provenance(c, now()));
		if (!drained.ok) throw new FailureError(drained.failure === "not_utf8" ? NOT_UTF8 : { kind: "malformed_json" });
		const { rows, count, reasons } = drained;
		c.set("wellFormed", drained.wellFormed);
		if (count === 0) return verification(c);

		const rejected = count - rows.length;
		event.count = rows.length;
		if (rejected > 0) Object.assign(event, { rejected, rejected_reasons: reasons });
		if (rows.length === 0) {
			event.outcome = "invalid_payload";
			return json(c, { error: "No valid log drain entries", rejected }, 400);
		}
		const response = rejected > 0 ? { ok: true, count: rows.length, rejected } : { ok: true, count: rows.length };
		return accept(c, [{ table: "logs", rows }], response);
	});
	return app;
}

function verification(c: Context<AppEnv>) {
	c.get("event").outcome = "drain_verification";
	return json(c, { ok: true, count: 0 });
}
