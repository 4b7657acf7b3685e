import type { AppDeps } from "../../context.ts";
import { authenticatedIngestApp } from "../../http/ingest-chain.ts";
import { drainRoute } from "./drain.ts";
import { errorsRoute } from "./errors.ts";
import { llmRoute } from "./llm.ts";
import { logsRoute } from "./logs.ts";
import { tracesRoute } from "./traces.ts";

/** /ingest/*: the authenticated ingest chain, then the endpoint. */
export function ingestRoutes(deps: AppDeps) {
	const now = deps.now ?? Date.now;
	const app = authenticatedIngestApp(deps);
	app.route("/logs", logsRoute(now));
	app.route("/errors", errorsRoute(now));
	app.route("/traces", tracesRoute(now));
	app.route("/llm", llmRoute(now));
	app.route("/drain", drainRoute(now));
	return app;
}
