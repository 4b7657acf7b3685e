import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEV_VARS, formatDotenv, ROOT } from "../local-env.ts";
import { portsFromEnv, type Stack, startStack } from "./stack.ts";

/** Starts the dev stack on the default ports (env overrides) with data under .data/, and writes .dev.vars. */
export async function startLocalStack(): Promise<Stack> {
	const stack = await startStack({ dataDir: join(ROOT, ".data"), persistent: true, ports: portsFromEnv() });
	writeFileSync(DEV_VARS, formatDotenv(stack.env), { mode: 0o600 });
	return stack;
}

/** Runs `cleanup` once on Ctrl-C or termination, then exits. */
export function onShutdown(cleanup: () => Promise<void>): void {
	let stopping = false;
	const stop = async (signal: NodeJS.Signals) => {
		if (stopping) return;
		stopping = true;
		console.error(`\n${signal}: stopping…`);
		try {
			await cleanup();
		} finally {
			process.exit(0);
		}
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
	process.on("SIGHUP", stop);
}

export function printEnv(env: Record<string, string>): void {
	console.log("worker env (written to .dev.vars):");
	for (const [k, v] of Object.entries(env)) console.log(`  ${k}=${v}`);
}
