import { Hono } from "hono/tiny";
import type { AppEnv, Deps } from "../../context.ts";
import { ingestGate } from "../../http/ingest-gate.ts";
import { drainRoute, vercelVerify } from "./drain.ts";
import { errorsHandler } from "./errors.ts";
import { llmHandler } from "./llm.ts";
import { logsHandler } from "./logs.ts";
import { deleteSourceMaps, sourceMapBodyLimit, uploadHandler } from "./sourcemaps.ts";
import { tracesHandler } from "./traces.ts";

/** /ingest/*: the authenticated ingest gate, then the endpoint's handler (two steps per request). */
export function ingestRoutes(deps: Deps) {
	const now = deps.now;
	const app = new Hono<AppEnv>();
	app.use("/sourcemaps", sourceMapBodyLimit); // before the gate, which reads it
	app.use("/drain/*", vercelVerify);
	app.use(ingestGate(deps));
	app.post("/logs", logsHandler(now));
	app.post("/errors", errorsHandler(now));
	app.post("/traces", tracesHandler(now));
	app.post("/llm", llmHandler(now));
	app.route("/drain", drainRoute(now));
	app.post("/sourcemaps", uploadHandler(now));
	app.delete("/sourcemaps/:release", deleteSourceMaps);
	return app;
}
