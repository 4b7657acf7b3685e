import { loadLocalEnv } from "./local-env.ts";
import { migrateAll } from "./migrate.ts";

try {
	await migrateAll(loadLocalEnv());
	console.log("migrations applied (postgres, clickhouse)");
} catch (err) {
	console.error(`migrate failed: ${err instanceof Error ? err.message : String(err)}`);
	process.exit(1);
}
