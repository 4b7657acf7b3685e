import { Hono } from "hono/tiny";
import type { AppDeps, AppEnv } from "../context.ts";
import { authenticate } from "./auth.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import { checkOrigin, cors } from "./cors.ts";
import { FailureError } from "./errors.ts";
import { rateLimit } from "./rate-limit.ts";
import { services } from "./services.ts";

/**
 * What every authenticated ingest route (/ingest/*, /v1/*) runs first:
 * CORS → declared size → services → key → origin → rate limit. Routes are added to the app it returns.
 */
export function authenticatedIngestApp(deps: AppDeps): Hono<AppEnv> {
	const now = deps.now ?? Date.now;
	const app = new Hono<AppEnv>();
	app.use(cors());
	app.use(async function declaredSize(c, next) {
		// A declared oversize body is refused before any I/O; the stream is still counted later.
		if (Number(c.req.header("content-length")) > MAX_BODY_BYTES) throw new FailureError({ kind: "payload_too_large" });
		await next();
	});
	app.use(services(deps), authenticate({ now }), checkOrigin(), rateLimit({ now }));
	return app;
}
