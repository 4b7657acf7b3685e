import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDotenv } from "../../dev/local-env.ts";
import { WORKER_ENV_NAMES } from "../../dev/stack/stack.ts";

// worker-configuration.d.ts (the Env bindings and the runtime's types) must be what `npm run cf-typegen` makes from
// the current wrangler.toml, .dev.vars.example (the secrets' names) and workerd; `wrangler dev` otherwise prints
// "Your types might be out of date". Fix: npm run cf-typegen.

describe("worker-configuration.d.ts", () => {
	it("is what npm run cf-typegen generates from wrangler.toml, .dev.vars.example and the installed workerd", () => {
		const [bin, ...args] = (JSON.parse(readFileSync("package.json", "utf8")).scripts["cf-typegen"] as string).split(
			" ",
		);
		expect(bin).toBe("wrangler");
		const run = spawnSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", ...args, "--check"], {
			encoding: "utf8",
			env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
		});
		expect(run.status, `stale: regenerate with npm run cf-typegen\n${run.stdout}${run.stderr}`).toBe(0);
	});

	it("comes from .dev.vars.example, which names exactly what the local stack writes to .dev.vars", () => {
		// wrangler dev (4.156) checks the types against .dev.vars itself: the same names, the same types, no warning.
		expect(Object.keys(parseDotenv(readFileSync(".dev.vars.example", "utf8")))).toEqual([...WORKER_ENV_NAMES]);
	});
});
