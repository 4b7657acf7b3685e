import type { Context, Next } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { verifyVercelSignature } from "../ingest/signature.ts";
import type { ApiKeyRecord } from "../ports.ts";

// What every Vercel Drain shares, whichever its type (log, trace, Speed Insights, Web Analytics): the signature of
// its body and the project's verification code (docs/reference/protocols.md, Vercel log drains; round 3: Drains).

/**
 * Every drain response carries the project's verification code, when it has one: the gate's refusals too (a 429
 * once the key is known), so this runs around the gate (src/routes/ingest/index.ts and src/routes/otlp.ts mount it before it).
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
