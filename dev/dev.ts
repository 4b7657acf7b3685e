import { spawn } from "node:child_process";
import pg from "pg";
import { createApiKey } from "./keys.ts";
import { ROOT } from "./local-env.ts";
import { migrateAll } from "./migrate.ts";
import { onShutdown, printEnv, startLocalStack } from "./stack/local.ts";

const WORKER_PORT = Number(process.env.PORT ?? 8787);

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
	["dev", "--port", String(WORKER_PORT), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"],
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

console.log(`\nworker: http://localhost:${WORKER_PORT}  (try: curl http://localhost:${WORKER_PORT}/health/ready)`);
console.log("development key for project 'development' (shown once):");
console.log(created.key);
