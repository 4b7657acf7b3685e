import { spawn } from "node:child_process";
import pg from "pg";
import { createApiKey } from "./keys.ts";
import { ROOT } from "./local-env.ts";
import { migrateAll } from "./migrate.ts";
import { OPENAPI_JSON, writeOpenApiJson } from "./openapi.ts";
import { onShutdown, printEnv, startLocalStack } from "./stack/local.ts";

const WORKER_PORT = Number(process.env.PORT ?? 8787);

// GET /openapi.json serves a generated file: bring it up to date with the schemas before the worker starts.
if (writeOpenApiJson()) console.log(`updated ${OPENAPI_JSON}`);

const stack = await startLocalStack();
let wrangler: ReturnType<typeof spawn> | undefined;
onShutdown(async () => {
	if (wrangler && wrangler.exitCode === null) {
		wrangler.kill("SIGTERM");
		await new Promise((r) => wrangler?.once("exit", r));
	}
	await stack.close();
});
printEnv(stack.env);

await migrateAll(stack.env);
const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
await db.connect();
const created = await createApiKey(db, { project: "development", name: "npm run dev" }).finally(() => db.end());

wrangler = spawn(
	"wrangler",
	[
		...["dev", "--port", String(WORKER_PORT), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"],
		// We fire the cron ourselves (below); this also stops wrangler telling the user to curl it by hand.
		"--test-scheduled",
	],
	{
		cwd: ROOT,
		stdio: "inherit",
		env: process.env,
	},
);
wrangler.on("exit", async (code) => {
	await stack.close();
	process.exit(code ?? 0);
});

/** Waits for the worker to answer, so the key is the last thing on screen. */
async function waitForWorker(url: string, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		try {
			if ((await fetch(url)).ok) return true;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	return false;
}

const base = `http://127.0.0.1:${WORKER_PORT}`;
if (!(await waitForWorker(`${base}/health`, 90_000))) console.error("the worker did not answer /health within 90 s");
// Cron triggers do not fire under `wrangler dev`: replay the delivery spill every minute, as production does.
setInterval(() => {
	fetch(`${base}/cdn-cgi/local/scheduled`).catch(() => undefined);
}, 60_000).unref();

console.log(`\nworker: http://localhost:${WORKER_PORT}  (try: curl http://localhost:${WORKER_PORT}/health/ready)`);
console.log("development key for project 'development' (shown once):");
console.log(created.key);
