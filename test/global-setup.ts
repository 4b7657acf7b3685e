import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { migrateAll } from "../dev/migrate.ts";
import { startControlServer } from "../dev/stack/control.ts";
import { freePort } from "../dev/stack/net.ts";
import { freePorts, startStack } from "../dev/stack/stack.ts";

declare module "vitest" {
	export interface ProvidedContext {
		stackEnv: Record<string, string>;
		controlUrl: string;
	}
}

/** One local stack (real Postgres, Redis, ClickHouse engines) on free ports in a temp dir, for the worker tests. */
export default async function setup(project: TestProject) {
	const dataDir = mkdtempSync(join(tmpdir(), "deeptracer-test-"));
	const stack = await startStack({ dataDir, persistent: false, ports: await freePorts(), redisToken: "test-token" });
	await migrateAll(stack.env);
	const control = await startControlServer(stack, await freePort());
	project.provide("stackEnv", stack.env);
	project.provide("controlUrl", control.url);
	return async () => {
		await control.close();
		await stack.close();
		rmSync(dataDir, { recursive: true, force: true });
	};
}
