import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { sha256Hex } from "../util/hex.ts";
import { withTimeout } from "../util/timeout.ts";
import type { Bytes } from "./body.ts";
import { FailureError } from "./errors.ts";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** The ledger is asked on the request path: past this the request goes on unpinned (dedup then holds within the day). */
const LEDGER_TIMEOUT_MS = 500;

/**
 * With an Idempotency-Key: the request's dedup token (project, route, key and body, so that nothing else can
 * collide with it) and its place in the ledger. Requests without the header skip all of this, with no I/O.
 */
export async function noteIdempotency(c: Context<AppEnv>, decoded: Bytes, now: number): Promise<void> {
	const key = c.req.header("idempotency-key");
	if (key === undefined) return;
	if (!IDEMPOTENCY_KEY.test(key)) {
		throw new FailureError({
			kind: "invalid_header",
			message: "Idempotency-Key must be 1-255 visible ASCII characters",
		});
	}
	const bodyHash = await sha256Hex(decoded);
	const scope = `${c.get("apiKey").projectId}\n${c.req.path}\n${key}\n${bodyHash}`;
	const token = `idem-${(await sha256Hex(scope)).slice(0, 40)}`;
	let first = { receivedAt: now, held: false };
	try {
		first = await withTimeout(c.get("services").idempotency.claim(token, now), LEDGER_TIMEOUT_MS);
	} catch {
		c.get("event").idempotency = "ledger_unavailable";
	}
	c.set("idempotency", { key, token, ...first });
}
