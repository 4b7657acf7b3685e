/**
 * Part 5 inside workerd: the first error of a fresh isolate resolved through a 3.5 MB map. Served by wrangler's
 * unstable_startWorker (workerd, as `wrangler dev` runs it) and driven by bench/sourcemaps-workerd.ts:
 *   POST /seed      the map's index, as R2 would hand it back (built by the upload code on Node); before anything else
 *   POST /error     the body of an /ingest/errors request, sent through the real app here → { status, ms }
 * `ms` is the request's wall time in the isolate (local workerd advances performance.now(); the store answers from
 * memory, so no I/O is waited for: what is timed is the isolate's work, background included).
 */
import { benchContext, benchServices, ENV, silenceConsole } from "./harness.ts";
import { errorRequest, memoryStore } from "./sourcemap-shapes.ts";
import { createApp } from "./src-app.js";

const store = memoryStore();
let app: ReturnType<typeof createApp> | undefined;

export default {
	async fetch(request: Request): Promise<Response> {
		silenceConsole();
		const url = new URL(request.url);
		if (url.pathname === "/seed") {
			const [project, release, file] = (url.searchParams.get("key") ?? "").split("|") as [string, string, string];
			await store.markProject(project);
			await store.publishIndex({
				project,
				release,
				file,
				index: new Uint8Array(await request.arrayBuffer()),
				keyId: "",
				uploadedAt: 0,
			});
			return Response.json({ ok: true });
		}
		const stack = await request.text();
		app ??= createApp({ createServices: () => ({ ...benchServices(), sourceMaps: store }) });
		const { ctx, pending } = benchContext();
		const started = performance.now();
		const res = await app.fetch(errorRequest(stack), ENV, ctx);
		await Promise.all(pending);
		const ms = performance.now() - started;
		return Response.json({ status: res.status, ms, body: await res.json() });
	},
};
