import { Hono } from "hono/tiny";
import type { AppEnv, Deps } from "../../http/app-env.ts";
import { ingestGate } from "../../http/ingest-gate.ts";
import { intake } from "../../http/intake.ts";
import { MAX_UPLOAD_BYTES } from "../../sourcemaps/upload.ts";
import { vercelVerify } from "../vercel.ts";
import { drain, drainVerification } from "./drain.ts";
import { errors } from "./errors.ts";
import { llm } from "./llm.ts";
import { logs } from "./logs.ts";
import { deleteSourceMaps, uploadHandler } from "./sourcemaps.ts";
import { traces } from "./traces.ts";

/** /ingest/*: the authenticated ingest gate, then the endpoint (two steps per request). */
export function ingestRoutes(deps: Deps) {
	const app = new Hono<AppEnv>();
	const gate = ingestGate(deps);
	app.post("/logs", gate, intake(logs, deps));
	app.post("/errors", gate, intake(errors, deps));
	app.post("/traces", gate, intake(traces, deps));
	app.post("/llm", gate, intake(llm, deps));
	// The verification code goes on every drain answer, the gate's refusals included: around the gate.
	app.get("/drain", vercelVerify, gate, drainVerification);
	app.post("/drain", vercelVerify, gate, intake(drain, deps));
	app.post("/sourcemaps", ingestGate(deps, { maxBodyBytes: MAX_UPLOAD_BYTES }), uploadHandler(deps.now));
	app.delete("/sourcemaps/:release", gate, deleteSourceMaps);
	// Everything else under /ingest passes the same gate: every path's preflight succeeds, and an unknown route is
	// authenticated before its 404. Registered last: a matched route above answers before reaching it.
	app.use(gate);
	return app;
}
