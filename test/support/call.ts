import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";

/** Anything with a Workers fetch handler: createApp's app, or the worker's default export. */
interface Fetchable {
	fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
}

/**
 * Sends a request through an app and waits for its background work (waitUntil: the writes, the rate-limit reports),
 * so what a test reads afterwards is what the request left behind.
 */
export async function call(app: Fetchable, path: string, init?: RequestInit, bindings: Env = env): Promise<Response> {
	const ctx = createExecutionContext();
	const response = await app.fetch(new Request(`http://ingest.test${path}`, init), bindings, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}
