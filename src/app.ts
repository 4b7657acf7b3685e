import type { Result, Router } from "hono/router";
import { Hono } from "hono/tiny";
import { DEFAULT_DELIVERY } from "./delivery/policy.ts";
import type { AppDeps, AppEnv, Deps } from "./http/app-env.ts";
import { FailureError, failureResponse } from "./http/errors.ts";
import { emit } from "./http/wide-event.ts";
import { healthRoutes } from "./routes/health.ts";
import { ingestRoutes } from "./routes/ingest/index.ts";
import { otlpRoutes } from "./routes/otlp.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The router's answers, remembered per (method, path): this API has a handful of paths, asked over and over. */
function memoized<T>(router: Router<T>): Router<T> {
	const answers = new Map<string, Result<T>>();
	return {
		name: `memoized ${router.name}`,
		add(method, path, handler) {
			answers.clear();
			router.add(method, path, handler);
		},
		match(method, path) {
			const key = `${method} ${path}`;
			let answer = answers.get(key);
			if (answer === undefined) {
				answer = router.match(method, path);
				if (answers.size < 64) answers.set(key, answer); // stray paths (scanners) are not remembered
			}
			return answer;
		},
	};
}

export function createApp(appDeps: AppDeps) {
	// Defaults applied once: every route and middleware gets the same clock.
	const deps: Deps = {
		...appDeps,
		now: appDeps.now ?? Date.now,
		delivery: { ...DEFAULT_DELIVERY, ...appDeps.delivery },
	};
	const app = new Hono<AppEnv>();
	app.router = memoized(app.router);
	const now = deps.now;

	app.use(async function requestContext(c, next) {
		const incoming = c.req.header("x-request-id");
		const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
		const started = now();
		const event = { request_id: requestId, method: c.req.method, route: c.req.path };
		c.set("requestId", requestId);
		c.set("event", event);
		// Every response is made from this request's headers (src/http/respond.ts), errors included.
		c.set("headers", { "X-Request-Id": requestId });
		try {
			await next();
		} finally {
			Object.assign(event, { status: c.res.status, duration_ms: now() - started });
			emit(event);
		}
	});

	app.route("/health", healthRoutes(deps));
	app.route("/ingest", ingestRoutes(deps));
	app.route("/v1", otlpRoutes(deps));
	// GET /openapi.json is a static asset (wrangler.toml [assets]): the runtime serves it before the worker runs.

	app.notFound((c) => failureResponse(c, { kind: "not_found" }));
	app.onError((err, c) => {
		if (err instanceof FailureError) return failureResponse(c, err.failure);
		c.get("event").error = err instanceof Error ? err.name : "unknown";
		console.error(
			JSON.stringify({ request_id: c.get("requestId"), error: err instanceof Error ? err.message : String(err) }),
		);
		return failureResponse(c, { kind: "internal" });
	});
	return app;
}

export type App = ReturnType<typeof createApp>;
