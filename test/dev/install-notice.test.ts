import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// The root postinstall: after npm's EBADENGINE warnings under an older Node, one line that says why they do not apply.
const notice = (userAgent: string) =>
	spawnSync(process.execPath, ["dev/install-notice.mjs"], {
		encoding: "utf8",
		env: { ...process.env, npm_config_user_agent: userAgent },
	});

describe("the install notice", () => {
	it("under npm on Node 20: says the warnings do not apply and which Node runs the project", () => {
		const run = notice("npm/11.19.1 node/v20.20.2 linux x64 workspaces/false");
		expect(run.status).toBe(0);
		expect(run.stdout).toContain("npm ran on Node v20.20.2 and warned (EBADENGINE)");
		expect(run.stdout).toContain(`use Node ${process.version} from node_modules`);
		expect(run.stdout.trim().split("\n")).toHaveLength(1);
		expect(notice("npm/11.0.0 node/v22.11.0 linux x64").stdout).toContain("EBADENGINE");
	});

	it("under npm on Node >= 22.12 (no EBADENGINE was printed), or without npm: silent", () => {
		for (const ua of ["npm/11.19.1 node/v24.21.0 linux x64", "npm/11.0.0 node/v22.12.0 linux x64", ""]) {
			const run = notice(ua);
			expect(run.status).toBe(0);
			expect(run.stdout).toBe("");
		}
	});
});
