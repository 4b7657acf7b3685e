import type { Context, Next } from "hono";
import { NOT_UTF8 } from "../../failure.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { contentTypeAccepted, mediaType } from "../../http/body.ts";
import { FailureError } from "../../http/errors.ts";
import type { Decoded, Intake } from "../../http/intake.ts";
import { json } from "../../http/respond.ts";
import { verifyVercelSignature } from "../../ingest/signature.ts";
import { drainRows } from "../../ingest/vercel.ts";
import type { ApiKeyRecord } from "../../ports.ts";

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

/**
 * The Vercel signature of a body, against the project's drain secret: over the bytes as received and, when Vercel
 * compressed them, over the decompressed bytes too. `required`: a project with a secret refuses unsigned bodies.
 */
export function vercelSignature(required: boolean) {
	return async function verify(
		body: { raw: Uint8Array<ArrayBuffer>; decoded: Uint8Array<ArrayBuffer> },
		key: ApiKeyRecord,
		headers: Headers,
	) {
		const secret = key.drainSecret;
		const signature = headers.get("x-vercel-signature");
		if (!secret || (signature === null && !required)) return undefined;
		const valid =
			(await verifyVercelSignature(secret, body.raw, signature ?? "")) ||
			(body.decoded !== body.raw && (await verifyVercelSignature(secret, body.decoded, signature ?? "")));
		return valid ? undefined : ({ kind: "signature_invalid" } as const);
	};
}

const verification: Decoded = {
	answer: { status: 200, reply: { json: { ok: true, count: 0 } }, outcome: "drain_verification" },
};

/** GET /ingest/drain: Vercel's ownership check (the x-vercel-verify header is vercelVerify's). */
export function drainVerification(c: Context<AppEnv>): Response {
	c.get("event").outcome = "drain_verification";
	return json(c, { ok: true, count: 0 });
}

/** POST /ingest/drain: Vercel log drain, JSON array or NDJSON, optionally gzip, optionally signed; a log row per entry. */
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
		const { rows, count, rejected } = drained;
		if (count === 0) return verification;
		if (rows.length === 0) {
			const answer = { status: 400, reply: { json: { error: "No valid log drain entries", rejected: count } } };
			return { answer: { ...answer, outcome: "invalid_payload" }, rejected };
		}
		const refused = count - rows.length;
		const reply = refused > 0 ? { ok: true, count: rows.length, rejected: refused } : { ok: true, count: rows.length };
		const truncated = drained.truncated;
		return { writes: [{ table: "logs", rows }], reply: { json: reply }, count: rows.length, rejected, truncated };
	},
};
