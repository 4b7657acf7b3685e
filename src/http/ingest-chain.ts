import type { Context, Next } from "hono";
import type { AppDeps, AppEnv } from "../context.ts";
import { authenticate } from "./auth.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import { checkOrigin, corsHeaders, preflight } from "./cors.ts";
import { FailureError } from "./errors.ts";
import { rateLimit } from "./rate-limit.ts";
import { attachServices } from "./services.ts";

/**
 * What every authenticated ingest route (/ingest/*, /v1/*) runs first, as one middleware (one step of the
 * router's chain instead of six): CORS → declared size → services → key → origin → rate limit.
 */
export function ingestGate(deps: AppDeps) {
	const now = deps.now ?? Date.now;
	const attach = attachServices(deps);
	return async function ingestGate(c: Context<AppEnv>, next: Next): Promise<Response | undefined> {
		const origin = c.req.header("origin");
		if (origin !== undefined) corsHeaders(c, origin);
		if (c.req.method === "OPTIONS") return preflight(c, origin);
		// A declared oversize body is refused before any I/O; the stream is still counted when read.
		const contentLength = c.req.header("content-length") ?? null;
		const maxBytes = c.get("maxBodyBytes") ?? MAX_BODY_BYTES; // a route may declare its own (routes/ingest/index.ts)
		if (Number(contentLength) > maxBytes) throw new FailureError({ kind: "payload_too_large", maxBytes });
		c.set("contentLength", contentLength);
		attach(c);
		await authenticate(c, now);
		checkOrigin(c, origin);
		await rateLimit(c, now);
		await next();
	};
}
