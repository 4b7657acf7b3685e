import { Hono } from "hono/tiny";
import type { AppDeps, AppEnv } from "../../context.ts";
import { authenticate } from "../../http/auth.ts";
import { MAX_BODY_BYTES } from "../../http/body.ts";
import { checkOrigin, cors } from "../../http/cors.ts";
import { FailureError } from "../../http/errors.ts";
import { rateLimit } from "../../http/rate-limit.ts";
import { services } from "../../http/services.ts";
import { drainRoute } from "./drain.ts";
import { errorsRoute } from "./errors.ts";
import { llmRoute } from "./llm.ts";
import { logsRoute } from "./logs.ts";
import { tracesRoute } from "./traces.ts";

/** /ingest/*: CORS → declared size → services → key → origin → rate limit → the endpoint. */
export function ingestRoutes(deps: AppDeps) {
	const now = deps.now ?? Date.now;
	const app = new Hono<AppEnv>();
	app.use(cors());
	app.use(async function declaredSize(c, next) {
		// A declared oversize body is refused before any I/O; the stream is still counted later.
		if (Number(c.req.header("content-length")) > MAX_BODY_BYTES) throw new FailureError({ kind: "payload_too_large" });
		await next();
	});
	app.use(services(deps), authenticate({ now }), checkOrigin(), rateLimit({ now }));
	app.route("/logs", logsRoute(now));
	app.route("/errors", errorsRoute(now));
	app.route("/traces", tracesRoute(now));
	app.route("/llm", llmRoute(now));
	app.route("/drain", drainRoute(now));
	return app;
}
