import { Hono } from "hono";

/** The baseline: a bare Hono handler that only parses the JSON body and answers `{ "ok": true }`. */
export function createBareApp() {
	const app = new Hono();
	app.get("/health", (c) => c.json({ status: "ok" }));
	app.post("/ingest/logs", async (c) => {
		await c.req.json();
		return c.json({ ok: true });
	});
	return app;
}
