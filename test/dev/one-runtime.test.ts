import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The worker tests (@cloudflare/vitest-plugin), `npm run dev` and the bench (wrangler) must run on one workerd: the
// plugin brings its own wrangler and miniflare, so wrangler is pinned to exactly the plugin's. To move them, see
// the README (Dependencies).

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
	packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
};
const versionsOf = (name: string) =>
	[
		...new Set(
			Object.entries(lock.packages)
				.filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
				.map(([, entry]) => entry.version),
		),
	].sort();

describe("one runtime for tests, dev and deploy", () => {
	it("locks one wrangler, one miniflare and one workerd", () => {
		for (const name of ["wrangler", "miniflare", "workerd"]) expect(versionsOf(name), name).toHaveLength(1);
	});

	it("pins wrangler to the version the vitest plugin depends on", () => {
		const plugin = lock.packages["node_modules/@cloudflare/vitest-plugin"]?.dependencies ?? {};
		const pkg = JSON.parse(readFileSync("package.json", "utf8"));
		expect(pkg.devDependencies.wrangler).toBe(plugin.wrangler);
		expect(versionsOf("miniflare")).toEqual([plugin.miniflare]);
	});
});
